import { z } from 'zod';
import { Severity } from '../../../../shared/model/finding.js';
import type { Advisory } from '../types.js';
import data from './advisories.json' with { type: 'json' };

const AdvisoryFile = z.object({
  compiled: z.string(),
  advisories: z.array(
    z.object({
      id: z.string(),
      aliases: z.array(z.string()),
      ecosystem: z.enum(['npm', 'pypi']),
      package: z.string(),
      affected: z.string(),
      fixed: z.string().optional(),
      summary: z.string(),
      severity: Severity,
      url: z.string(),
      published: z.string(),
    }),
  ),
});

let cached: { compiled: string; advisories: Advisory[] } | undefined;

/** The shipped advisory list (advisories.json next to this file), validated once. */
export function shippedAdvisories(): { compiled: string; advisories: Advisory[] } {
  if (!cached) {
    cached = AdvisoryFile.parse(data);
  }
  return cached;
}

import { z } from 'zod';
import { Severity } from '../../../../shared/model/finding.js';

/**
 * The advisories.json schema, for tests and tools. The scan path checks the shipped file with the
 * plain-code check in index.ts instead, so a scan does not load zod; advisories.test.ts holds both
 * to the same answer.
 */
export const AdvisoryFile = z.object({
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

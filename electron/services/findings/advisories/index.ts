import { SEVERITIES } from '../../../../shared/model/enums.js';
import type { Advisory } from '../types.js';
import data from './advisories.json' with { type: 'json' };

let cached: { compiled: string; advisories: Advisory[] } | undefined;

const STRING_FIELDS = ['id', 'package', 'affected', 'summary', 'url', 'published'] as const;

/**
 * Checks an advisory file's shape (schema.ts's AdvisoryFile, in plain code: the scan path does not
 * load zod). Throws naming the advisory and field that is wrong.
 */
export function checkAdvisoryFile(value: unknown): { compiled: string; advisories: Advisory[] } {
  const bad = (where: string): never => {
    throw new Error(`advisories.json: ${where} is missing or has the wrong type`);
  };
  const file = value as { compiled?: unknown; advisories?: unknown };
  if (typeof file !== 'object' || file === null) return bad('the file');
  if (typeof file.compiled !== 'string') bad('compiled');
  if (!Array.isArray(file.advisories)) return bad('advisories');
  const advisories: Advisory[] = file.advisories.map((a: Record<string, unknown>, i: number) => {
    const at = `advisories[${i}]`;
    if (typeof a !== 'object' || a === null) return bad(at);
    for (const k of STRING_FIELDS) if (typeof a[k] !== 'string') bad(`${at}.${k}`);
    if (!Array.isArray(a.aliases) || a.aliases.some((x) => typeof x !== 'string')) bad(`${at}.aliases`);
    if (a.ecosystem !== 'npm' && a.ecosystem !== 'pypi') bad(`${at}.ecosystem`);
    if (!(SEVERITIES as readonly unknown[]).includes(a.severity)) bad(`${at}.severity`);
    if (a.fixed !== undefined && typeof a.fixed !== 'string') bad(`${at}.fixed`);
    return a as unknown as Advisory;
  });
  return { compiled: file.compiled as string, advisories };
}

/** The shipped advisory list (advisories.json next to this file), checked once. */
export function shippedAdvisories(): { compiled: string; advisories: Advisory[] } {
  cached ??= checkAdvisoryFile(data);
  return cached;
}

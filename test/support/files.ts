import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Every file below `dir` (recursively; links are listed, not followed), as paths joined onto
 * `dir`. The canary tests read them all to prove a planted secret is stored nowhere.
 * `missingOk`: a folder that does not exist has no files (else its ENOENT is thrown).
 */
export async function filesUnder(dir: string, opts: { missingOk?: boolean } = {}): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (opts.missingOk && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

import type { FindingDraft, StaticRule } from '../types.js';
import { serverDraft } from './common.js';
import { runnerTarget } from './runner.js';
import { lineOf } from './lines.js';

/** npx/uvx/pipx/docker running a package or image without a pinned version or digest. */
export const runnerUnpinned: StaticRule = {
  id: 'runner.unpinned',
  run(ctx) {
    const out: FindingDraft[] = [];
    for (const s of ctx.scan.servers) {
      const t = runnerTarget(s);
      if (!t || t.pinned) continue;
      const what = t.version ? `"${t.version}" is not an exact version` : 'no version is given';
      const fix =
        t.ecosystem === 'npm'
          ? `Pin an exact version: ${t.name}@<version> (check the registry for the current release and review it).`
          : t.ecosystem === 'pypi'
            ? `Pin an exact version: ${t.name}==<version>.`
            : `Pin the image by digest: ${t.name}@sha256:<digest> (docker inspect --format '{{index .RepoDigests 0}}' ${t.name}), or at least an immutable version tag.`;
      out.push(
        serverDraft('runner.unpinned', s, t.spec.pointer, lineOf(ctx, s.entry.source, t.spec.pointer), {
          message: `Server "${s.entry.name}" runs ${t.ecosystem === 'oci' ? 'image' : 'package'} ${t.name} through ${t.runner}, but ${what}: every start may fetch a different release.`,
          evidence: `${t.runner} ${t.spec.value}`,
          remediation: fix,
        }),
      );
    }
    return out;
  },
};

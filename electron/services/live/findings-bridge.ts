import type { AuthProbeResult, FindingDraft } from '../findings/types.js';
import type { RawServer } from '../discovery/types.js';
import type { Database } from '../store/database.js';
import { liveFindings, type ScannedServer } from './integrity.js';
import { LiveStore } from './store.js';
import { maskUrl } from '../secrets/redact.js';

/**
 * What the findings engine takes from the live inventory, computed offline from the latest stored
 * snapshots of the given (currently configured) servers: the live rules' drafts and the auth
 * probe results (for `auth.static`). A static scan can include these so live findings persist.
 */
export function latestLiveFindings(
  db: Database,
  servers: readonly RawServer[],
): { drafts: FindingDraft[]; probes: Map<string, AuthProbeResult> } {
  const store = new LiveStore(db);
  const scanned: ScannedServer[] = [];
  const probes = new Map<string, AuthProbeResult>();
  for (const s of servers) {
    const snap = store.latestSnapshot(s.entry.id, true);
    if (!snap) continue;
    scanned.push({ entry: s.entry, snapshot: snap });
    if (snap.authProbe) {
      probes.set(s.entry.id, {
        ...(snap.authMode && snap.authMode !== 'n/a' ? { authMode: snap.authMode } : {}),
        advertisesOAuth: snap.authProbe.advertisesOAuth,
        ...(snap.authProbe.resourceMetadataUrl
          ? { resourceMetadata: maskUrl(snap.authProbe.resourceMetadataUrl) }
          : {}),
      });
    }
  }
  const identities = new Set(scanned.map((s) => s.snapshot.identity));
  const changes = store.pendingChanges().filter((c) => identities.has(c.identity));
  return { drafts: liveFindings(scanned, changes), probes };
}

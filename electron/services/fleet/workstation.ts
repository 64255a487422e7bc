import type { ServerEntry } from '../../../shared/model/discovery.js';
import type { Finding } from '../../../shared/model/finding.js';
import type { FleetReportResult } from '../../../shared/model/fleet.js';
import type { ServiceContext } from '../context.js';
import type { DiscoveryScan } from '../discovery/types.js';
import { loadFingerprintKey } from '../secrets/fingerprint.js';
import { machineIdentity } from './identity.js';
import { buildFleetReport, sendFleetReport, teamFingerprints } from './report.js';
import { openTeamStore, teamFingerprintKey } from './store.js';
import { safeError } from './url.js';

export { DATABASE_URL_ENV, teamStoreUrl } from './url.js';

/**
 * Reports a finished scan of this workstation to the team store: reads the team fingerprint key,
 * maps this install's fingerprints to team ones, and sends everything in one transaction.
 * Errors come back with the URL's password masked.
 */
export async function reportScan(
  ctx: ServiceContext,
  input: {
    url: string;
    machineId?: string | undefined;
    scan: DiscoveryScan;
    servers: readonly ServerEntry[];
    findings: readonly Finding[];
    scannedAt: string;
  },
): Promise<FleetReportResult> {
  const identity = machineIdentity(ctx.stateDir, input.machineId);
  const store = openTeamStore(input.url, { max: 1, application: 'gatehouse-report' });
  try {
    const teamKey = await store.withClient((c) => teamFingerprintKey(c));
    const map = await teamFingerprints(
      input.scan,
      await loadFingerprintKey(ctx.secrets),
      teamKey,
      ctx.workstation.platform,
    );
    const report = buildFleetReport({
      identity,
      platform: ctx.workstation.platform,
      scannedAt: input.scannedAt,
      version: ctx.version,
      servers: input.servers,
      findings: input.findings,
      teamFingerprint: map,
    });
    return await sendFleetReport(store, report);
  } catch (err) {
    throw safeError(err, input.url);
  } finally {
    await store.close().catch(() => {});
  }
}

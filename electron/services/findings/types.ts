import type { ClientId } from '../../../shared/model/discovery.js';
import type { FindingLocation, RuleId, Severity } from '../../../shared/model/finding.js';

/**
 * What a rule (static or live) produces. The findings engine turns drafts into `Finding`s: it
 * assigns the stable id (hash of rule id, location and fingerprint — also the suppression key),
 * the first-seen time and the status. Evidence must already be masked.
 */
export interface FindingDraft {
  ruleId: RuleId;
  severity: Severity;
  title: string;
  message: string;
  client: ClientId;
  /** Server name as configured ('' for file-level findings). */
  server: string;
  serverId?: string;
  location: FindingLocation;
  evidence?: string;
  fingerprint?: string;
  secretType?: string;
  remediation?: string;
}

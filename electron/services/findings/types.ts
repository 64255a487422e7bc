import type { ClientId, Platform } from '../../../shared/model/discovery.js';
import type { FindingLocation, RuleId, Severity } from '../../../shared/model/finding.js';
import type { DiscoveryScan, ParsedSource, RawServer, StringLeaf } from '../discovery/types.js';

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

// ------------------------------------------------------------------ static rules (findings engine)

/** Where in a server entry a credential sits. */
export type SecretField = 'env' | 'headers' | 'args' | 'url' | 'command' | 'other';

/**
 * One credential found in a config file, with the server (if any) and field it belongs to. The
 * raw value stays out: rules see only the masked evidence and the keyed fingerprint.
 */
export interface SecretOccurrence {
  source: ParsedSource;
  leaf: StringLeaf;
  server?: RawServer;
  field: SecretField;
  /** Env/header name, flag name or query parameter the value sits under, when known. */
  fieldKey?: string;
  /** True when the credential is in a URL's userinfo or query string (url field or a URL argument). */
  inUrl: boolean;
  secretType: string;
  evidence: string;
  fingerprint: string;
  critical: boolean;
}

/** What the live auth probe learned about a remote server (provided by the live inventory). */
export interface AuthProbeResult {
  /** `oauth`: protected-resource metadata advertised; `static`: a configured credential is what works; `none`: answers unauthenticated. */
  authMode?: 'oauth' | 'static' | 'none' | 'unknown';
  /** True when the server advertises OAuth (401 + WWW-Authenticate resource_metadata, or /.well-known/oauth-protected-resource). */
  advertisesOAuth: boolean;
  /** The protected-resource metadata URL, when found. */
  resourceMetadata?: string;
}

/** Git state of a project-scope file. */
export interface GitFileStatus {
  /** The work tree the file is in, or null when it is not in one. */
  workTree: string | null;
  /** True when git ignores the file (then it is unlikely to be committed). */
  ignored: boolean;
}

/** A shipped advisory (electron/services/findings/advisories/*.json). */
export interface Advisory {
  id: string;
  aliases: string[];
  ecosystem: 'npm' | 'pypi';
  package: string;
  /** semver range of affected versions. */
  affected: string;
  fixed?: string;
  summary: string;
  severity: Severity;
  url: string;
}

/** Everything static rules read; built once per scan by the engine. */
export interface ScanContext {
  scan: DiscoveryScan;
  platform: Platform;
  /** Every credential found in a server entry (one per detected span). */
  secrets: SecretOccurrence[];
  /** Git state by file path (project-scope files holding credentials). */
  git: ReadonlyMap<string, GitFileStatus>;
  /** Auth probe results by server id (absent for static-only scans). */
  probes?: ReadonlyMap<string, AuthProbeResult>;
  advisories: readonly Advisory[];
}

/** A static rule: one small module under rules/, registered in rules/index.ts. */
export interface StaticRule {
  id: RuleId;
  run(ctx: ScanContext): FindingDraft[];
}

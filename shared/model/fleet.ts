import { z } from 'zod';

/**
 * Fleet: what workstations report to the team store (PostgreSQL) and what the Fleet view reads
 * back. Reports carry masked evidence and team-keyed fingerprints (`tf1:`) only, never a value.
 */

export const FleetMachineIdentity = z.object({
  machineId: z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/),
  hostname: z.string(),
  osUser: z.string(),
  platform: z.string(),
});
export type FleetMachineIdentity = z.infer<typeof FleetMachineIdentity>;

export const FleetReportServer = z.object({
  serverId: z.string(),
  name: z.string(),
  client: z.string(),
  scope: z.string(),
  transport: z.string(),
  command: z.string().optional(),
  /** Already masked by discovery. */
  url: z.string().optional(),
  ecosystem: z.string().optional(),
  package: z.string().optional(),
  version: z.string().optional(),
  disabled: z.boolean(),
});
export type FleetReportServer = z.infer<typeof FleetReportServer>;

export const FleetReportFinding = z.object({
  findingId: z.string(),
  ruleId: z.string(),
  severity: z.string(),
  status: z.string(),
  title: z.string(),
  client: z.string(),
  server: z.string(),
  serverId: z.string().optional(),
  file: z.string(),
  pointer: z.string(),
  evidence: z.string().optional(),
  /** Team-keyed fingerprint (HMAC with the team store's key), so a credential matches across machines. */
  fingerprint: z
    .string()
    .regex(/^tf1:[0-9a-f]{32}$/)
    .optional(),
  secretType: z.string().optional(),
  firstSeen: z.string().optional(),
});
export type FleetReportFinding = z.infer<typeof FleetReportFinding>;

export const FleetReport = z.object({
  machine: FleetMachineIdentity,
  scannedAt: z.string(),
  gatehouseVersion: z.string(),
  servers: z.array(FleetReportServer),
  findings: z.array(FleetReportFinding),
});
export type FleetReport = z.infer<typeof FleetReport>;

export const FleetReportResult = z.object({
  /** False when this exact scan was already reported (nothing changed). */
  inserted: z.boolean(),
  scanId: z.number().int(),
  machineId: z.string(),
  contentHash: z.string(),
  servers: z.number().int(),
  findings: z.number().int(),
});
export type FleetReportResult = z.infer<typeof FleetReportResult>;

export const FleetFilter = z
  .object({
    machine: z.string().optional(),
    /** Server name (exact). */
    server: z.string().optional(),
    package: z.string().optional(),
    version: z.string().optional(),
    ruleId: z.string().optional(),
    severity: z.string().optional(),
    fingerprint: z.string().optional(),
    /** Machines whose last report is at least this many days old. */
    staleDays: z.number().nonnegative().optional(),
    /** Trend window in days (default 30). */
    days: z.number().int().positive().max(366).optional(),
    limit: z.number().int().positive().max(10_000).optional(),
  })
  .strict();
export type FleetFilter = z.infer<typeof FleetFilter>;

export const FleetSeverityCounts = z.object({
  critical: z.number().int(),
  high: z.number().int(),
  medium: z.number().int(),
  low: z.number().int(),
  info: z.number().int(),
});

export const FleetMachine = z.object({
  machineId: z.string(),
  hostname: z.string(),
  osUser: z.string(),
  platform: z.string(),
  lastScanAt: z.string(),
  lastReceivedAt: z.string(),
  daysSinceReport: z.number(),
  serverCount: z.number().int(),
  openFindings: z.number().int(),
  bySeverity: FleetSeverityCounts,
});
export type FleetMachine = z.infer<typeof FleetMachine>;

/** One server (name, package, version) and the machines whose latest scan has it. */
export const FleetServerRow = z.object({
  name: z.string(),
  package: z.string().nullable(),
  version: z.string().nullable(),
  transport: z.string(),
  machineCount: z.number().int(),
  /** Present when the query named a server, package or machine. */
  machines: z.array(z.string()).optional(),
});
export type FleetServerRow = z.infer<typeof FleetServerRow>;

export const FleetFindingRow = z.object({
  machineId: z.string(),
  hostname: z.string(),
  ruleId: z.string(),
  severity: z.string(),
  status: z.string(),
  title: z.string(),
  client: z.string(),
  server: z.string(),
  file: z.string(),
  pointer: z.string(),
  evidence: z.string().nullable(),
  fingerprint: z.string().nullable(),
});
export type FleetFindingRow = z.infer<typeof FleetFindingRow>;

/** A credential (team fingerprint) seen on several machines: one key copied around. */
export const FleetFingerprintRow = z.object({
  fingerprint: z.string(),
  secretType: z.string().nullable(),
  evidence: z.string().nullable(),
  machineCount: z.number().int(),
  findingCount: z.number().int(),
  machines: z.array(z.string()),
});
export type FleetFingerprintRow = z.infer<typeof FleetFingerprintRow>;

export const FleetTrendPoint = z.object({
  day: z.string(),
  openFindings: z.number().int(),
  machines: z.number().int(),
});
export type FleetTrendPoint = z.infer<typeof FleetTrendPoint>;

export const FleetStatus = z.object({
  configured: z.boolean(),
  /** The team store URL with its password masked. */
  display: z.string().optional(),
  /** Where it comes from: $GATEHOUSE_DATABASE_URL (which the setting cannot override) or the setting. */
  source: z.enum(['environment', 'setting']).optional(),
});
export type FleetStatus = z.infer<typeof FleetStatus>;

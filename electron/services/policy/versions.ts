import { randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import { AdminError } from '../../../shared/api/errors.js';
import { GatewaySnapshot } from '../../../shared/model/gateway.js';
import { PolicyDocument, type PolicyVersion } from '../../../shared/model/policy.js';
import type { Clock } from '../ports.js';
import type { Database } from '../store/database.js';
import { checkVersion } from '../team-state/types.js';
import { normalizePolicy, policyHash } from './document.js';
import { diffDocuments, type PlanOutput } from './plan.js';

/**
 * Stored policy versions. A version's hash is the SHA-256 of the document's canonical JSON
 * (RFC 8785, `canonicalize`), so the same content always has the same address; each pull, push,
 * rollback or import adds a row pointing at it, with its parent (the gateway's previous version).
 */

/** One content address for documents everywhere: document.ts's hash of the normalized document. */
export { policyHash };

/** The canonical JSON text stored for a version (normalized, so equal content is stored once). */
export function canonicalJson(doc: PolicyDocument): string {
  return canonicalize(normalizePolicy(doc)) ?? 'null';
}

interface VersionRow {
  hash: string;
  parent: string | null;
  author: string;
  message: string;
  created_at: string;
  gateway_id: string | null;
  gateway_name: string | null;
  origin: string;
  changes: number;
}

const COLS = 'v.hash, v.parent, v.author, v.message, v.created_at, v.gateway_id, v.gateway_name, v.origin, v.changes';

function toVersion(r: VersionRow): PolicyVersion {
  const origin = r.origin === 'pull' || r.origin === 'push' || r.origin === 'rollback' ? r.origin : 'import';
  return {
    hash: r.hash,
    parent: r.parent,
    author: r.author,
    message: r.message,
    createdAt: r.created_at,
    gatewayId: r.gateway_id,
    gatewayName: r.gateway_name,
    origin,
    changes: r.changes,
  };
}

export interface SaveVersionInput {
  doc: PolicyDocument;
  author: string;
  message: string;
  origin: PolicyVersion['origin'];
  gatewayId?: string | null;
  gatewayName?: string | null;
  changes: number;
  /** Defaults to the latest version for the gateway (or overall, without one). */
  parent?: string | null;
  /**
   * The lineage's latest version hash the caller based the save on (`null`: none yet). When the
   * latest moved meanwhile (another admin saved), the save is refused as a conflict. Omitted: no check.
   */
  expected?: string | null;
}

/** The object a lineage's conflict names: the gateway's policy, or the unbound one. */
export function policyObjectName(input: Pick<SaveVersionInput, 'gatewayId' | 'gatewayName'>): string {
  return input.gatewayId
    ? `Policy of gateway "${input.gatewayName ?? input.gatewayId}"`
    : 'Policy (not bound to a gateway)';
}

/** Throws a conflict when the lineage's latest version is not the one the save was based on. */
export function checkExpectedHead(
  input: Pick<SaveVersionInput, 'expected' | 'gatewayId' | 'gatewayName'>,
  head: PolicyVersion | undefined,
): void {
  if (input.expected === undefined) return;
  // A hash prefix (as lists and the CLI show them, at least 4 digits) names the head just as well.
  const e = input.expected;
  if (e !== null && head && e.length >= 4 && head.hash.startsWith(e.toLowerCase())) return;
  const stamp = head ? { version: head.hash, updatedBy: head.author, updatedAt: head.createdAt } : undefined;
  checkVersion(policyObjectName(input), stamp, input.expected);
}

export function saveVersion(db: Database, clock: Clock, input: SaveVersionInput): PolicyVersion {
  const doc = PolicyDocument.parse(input.doc);
  const hash = policyHash(doc);
  const head = latestVersion(db, input.gatewayId ?? undefined);
  checkExpectedHead(input, head);
  const parent = input.parent !== undefined ? input.parent : (head?.hash ?? null);
  db.prepare('INSERT OR IGNORE INTO policy_documents (hash, document_json) VALUES (?, ?)').run(
    hash,
    canonicalJson(doc),
  );
  const row: VersionRow = {
    hash,
    parent,
    author: input.author,
    message: input.message,
    created_at: clock.now().toISOString(),
    gateway_id: input.gatewayId ?? null,
    gateway_name: input.gatewayName ?? null,
    origin: input.origin,
    changes: input.changes,
  };
  db.prepare(
    'INSERT INTO policy_versions (hash, parent, author, message, created_at, gateway_id, gateway_name, origin, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(
    row.hash,
    row.parent,
    row.author,
    row.message,
    row.created_at,
    row.gateway_id,
    row.gateway_name,
    row.origin,
    row.changes,
  );
  return toVersion(row);
}

/** Newest first; one gateway's versions, or all. */
export function listVersions(db: Database, gatewayId?: string): PolicyVersion[] {
  const rows = (gatewayId
    ? db.prepare(`SELECT ${COLS} FROM policy_versions v WHERE v.gateway_id = ? ORDER BY v.id DESC`).all(gatewayId)
    : db.prepare(`SELECT ${COLS} FROM policy_versions v ORDER BY v.id DESC`).all()) as unknown as VersionRow[];
  return rows.map(toVersion);
}

export function latestVersion(db: Database, gatewayId?: string): PolicyVersion | undefined {
  return listVersions(db, gatewayId)[0];
}

/** A version by hash or unique hash prefix (at least 4 hex digits); the newest row of that content. */
export function getVersion(db: Database, hashOrPrefix: string): { version: PolicyVersion; document: PolicyDocument } {
  const prefix = hashOrPrefix.toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(prefix)) throw new AdminError('bad-request', `"${hashOrPrefix}" is not a version hash`);
  const hashes = (
    db
      .prepare('SELECT hash FROM policy_documents WHERE hash >= ? AND hash < ? ORDER BY hash LIMIT 2')
      .all(prefix, prefix + 'g') as { hash: string }[]
  ).map((r) => r.hash);
  if (hashes.length === 0) throw new AdminError('not-found', `No policy version ${hashOrPrefix}`);
  if (hashes.length > 1)
    throw new AdminError('bad-request', `Version prefix ${hashOrPrefix} is ambiguous; give more digits`);
  const hash = hashes[0]!;
  const row = db
    .prepare(`SELECT ${COLS} FROM policy_versions v WHERE v.hash = ? ORDER BY v.id DESC LIMIT 1`)
    .get(hash) as VersionRow | undefined;
  const doc = db.prepare('SELECT document_json FROM policy_documents WHERE hash = ?').get(hash) as
    { document_json: string } | undefined;
  if (!row || !doc) throw new AdminError('not-found', `No policy version ${hashOrPrefix}`);
  return { version: toVersion(row), document: PolicyDocument.parse(JSON.parse(doc.document_json)) };
}

/** The changes from one stored version to another. */
export function diffVersions(db: Database, from: string, to: string): PlanOutput & { from: string; to: string } {
  const a = getVersion(db, from);
  const b = getVersion(db, to);
  return { ...diffDocuments(a.document, b.document), from: a.version.hash, to: b.version.hash };
}

/** Remembers what an editor pulled; returns the base id a later push names. */
export function savePullBase(db: Database, snapshot: GatewaySnapshot): string {
  const id = randomUUID();
  db.prepare('INSERT INTO policy_bases (id, gateway_id, fetched_at, snapshot_json) VALUES (?, ?, ?, ?)').run(
    id,
    snapshot.gatewayId,
    snapshot.fetchedAt,
    JSON.stringify(snapshot),
  );
  return id;
}

export function loadPullBase(db: Database, baseId: string): GatewaySnapshot {
  const r = db.prepare('SELECT snapshot_json FROM policy_bases WHERE id = ?').get(baseId) as
    { snapshot_json: string } | undefined;
  if (!r) throw new AdminError('not-found', `No pulled base ${baseId}; pull again`);
  return GatewaySnapshot.parse(JSON.parse(r.snapshot_json));
}

/** Drops pull bases older than `keep` per gateway (they are only needed until the push). */
export function prunePullBases(db: Database, gatewayId: string, keep = 20): number {
  const r = db
    .prepare(
      'DELETE FROM policy_bases WHERE gateway_id = ? AND id NOT IN (SELECT id FROM policy_bases WHERE gateway_id = ? ORDER BY fetched_at DESC LIMIT ?)',
    )
    .run(gatewayId, gatewayId, keep);
  return Number(r.changes);
}

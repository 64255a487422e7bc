import { randomBytes } from 'node:crypto';
import { systemClock, type Clock, type SecretStore } from '../ports.js';
import type { Database } from '../store/database.js';
import {
  adminLogBinding,
  bindAdminLog,
  GENESIS_HASH,
  verifyAdminLog,
  type AdminLogAnchor,
  type AdminLogBinding,
  type AdminLogEntry,
  type ChainCheck,
} from './admin-log.js';

/**
 * The admin log's key and anchor, both kept in the secret store (never in the database):
 *
 * - `audit.admin-log-key`: 32 random bytes (hex), created on first open. Every entry appended
 *   after that is HMAC-SHA256'd with it (admin-log.ts).
 * - `audit.admin-log-anchor`: `{count, headHash, keyedFrom, at}`, rewritten after every append.
 *   It is what catches the attacks a chain alone cannot see: removing the tail, deleting
 *   everything, restoring an older copy of the database. It is also included in exports.
 *
 * How the key reaches the synchronous `appendAdminAction`: the secret store is async, so the key
 * is loaded once when a context is opened and bound to that Database object (a WeakMap in
 * admin-log.ts). `createNodeContext` does it synchronously with `openAdminLogSync` when the store
 * offers sync access (the Node stores: keyring and encrypted file are synchronous underneath), so
 * the CLI, `serve` and test contexts need no extra step and `createNodeContext` stays sync; a root
 * with an async-only store (the desktop's safeStorage store) awaits `openAdminLog` before it
 * registers any handler. Either way the key is bound before the first append can happen.
 *
 * Anchor writes are async (secret store), serialized per Database and coalesced, and run after the
 * append's transaction has ended (they read the committed head), so a rolled-back append is never
 * anchored. A crash between an append and its anchor write leaves the anchor behind the database;
 * verification reports those entries as "after the last anchor" (they still verify with the key),
 * not as tampering. The anchor never moves backwards, and is never advanced over a database that
 * does not extend it (a restored older copy), so the evidence stays until someone looks.
 */
export const ADMIN_LOG_KEY_NAME = 'audit.admin-log-key';
export const ADMIN_LOG_ANCHOR_NAME = 'audit.admin-log-anchor';

/** Synchronous secret access (offered by stores that are synchronous underneath). */
export interface SyncSecretAccess {
  getSync(key: string): string | null;
  setSync(key: string, value: string): void;
}

export function hasSyncAccess(s: SecretStore): s is SecretStore & SyncSecretAccess {
  const x = s as Partial<SyncSecretAccess>;
  return typeof x.getSync === 'function' && typeof x.setSync === 'function';
}

function parseKey(text: string | null): Buffer | null {
  if (text === null) return null;
  if (!/^[0-9a-f]{64}$/.test(text)) throw new Error('The admin-log key in the secret store is damaged.');
  return Buffer.from(text, 'hex');
}

export function parseAnchor(text: string | null): AdminLogAnchor | null | 'unreadable' {
  if (text === null) return null;
  try {
    const a = JSON.parse(text) as Partial<AdminLogAnchor>;
    if (
      a.v === 1 &&
      Number.isInteger(a.count) &&
      (a.count ?? -1) >= 0 &&
      typeof a.headHash === 'string' &&
      Number.isInteger(a.keyedFrom) &&
      typeof a.at === 'string'
    )
      return a as AdminLogAnchor;
  } catch {
    /* fall through */
  }
  return 'unreadable';
}

interface Head {
  count: number;
  hash: string;
}

function dbHead(db: Database): Head {
  const r = db.prepare('SELECT seq, hash FROM admin_log ORDER BY seq DESC LIMIT 1').get() as
    { seq: number; hash: string } | undefined;
  return { count: r?.seq ?? 0, hash: r?.hash ?? GENESIS_HASH };
}

/** Whether the database still holds the anchored entries (its entry `count` is the anchored head). */
function extendsAnchor(db: Database, a: AdminLogAnchor): boolean {
  if (a.count === 0) return true;
  const r = db.prepare('SELECT hash FROM admin_log WHERE seq = ?').get(a.count) as { hash: string } | undefined;
  return r?.hash === a.headHash;
}

class AnchorWriter implements AdminLogBinding {
  /** The last anchor this writer wrote or loaded; null = none (and none will be written). */
  private anchor: AdminLogAnchor | null;
  /** Set when the database does not extend the anchor: the anchor is kept as evidence. */
  private frozen: boolean;
  private committed: Head | null = null;
  private queued = false;
  pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    readonly key: Buffer,
    private readonly secrets: SecretStore,
    private readonly clock: Clock,
    anchor: AdminLogAnchor | null,
  ) {
    this.anchor = anchor;
    this.frozen = anchor === null;
  }

  appended(entry: AdminLogEntry): void {
    // Outside a transaction the insert is already committed: remember it in case the database
    // is closed before the write runs (the CLI closes right after its command).
    if (!this.db.isTransaction) this.committed = { count: entry.seq, hash: entry.hash };
    if (this.queued || this.frozen) return;
    this.queued = true;
    this.pending = this.pending.then(() => this.write()).catch(() => undefined);
  }

  private async committedHead(): Promise<{ head: Head; checked: boolean } | null> {
    for (let i = 0; i < 500; i++) {
      if (!this.db.isOpen) return this.committed ? { head: this.committed, checked: false } : null;
      if (!this.db.isTransaction) {
        const anchor = this.anchor;
        if (anchor && !extendsAnchor(this.db, anchor)) {
          this.frozen = true;
          return null;
        }
        return { head: dbHead(this.db), checked: true };
      }
      // Someone holds a transaction open across an await: anchor what it commits, not what it might roll back.
      await new Promise((res) => setTimeout(res, 10));
    }
    return null;
  }

  private async write(): Promise<void> {
    this.queued = false;
    const anchor = this.anchor;
    if (!anchor || this.frozen) return;
    const got = await this.committedHead();
    if (!got) return;
    const { head } = got;
    // Never backwards (another process may have anchored further), never the same head twice.
    if (head.count <= anchor.count) return;
    const next: AdminLogAnchor = {
      v: 1,
      count: head.count,
      headHash: head.hash,
      keyedFrom: anchor.keyedFrom,
      at: this.clock.now().toISOString(),
    };
    await this.secrets.set(ADMIN_LOG_ANCHOR_NAME, JSON.stringify(next));
    this.anchor = next;
  }
}

interface Opening {
  key: Buffer;
  keyToStore: string | null;
  anchor: AdminLogAnchor | null;
  anchorToStore: string | null;
}

/**
 * Decides, from what the store holds, what to bind and what to write. A new key gets a fresh
 * anchor at the current head (an existing install's legacy entries are anchored as they are, and
 * keying starts at the next seq). An existing key with no anchor does not get a new one: keyed
 * entries without an anchor mean it was removed, and verification must keep saying so.
 */
function opening(db: Database, keyText: string | null, anchorText: string | null, clock: Clock): Opening {
  let key = parseKey(keyText);
  let keyToStore: string | null = null;
  if (!key) {
    key = randomBytes(32);
    keyToStore = key.toString('hex');
  }
  const parsed = parseAnchor(anchorText);
  let anchor = parsed === 'unreadable' ? null : parsed;
  let anchorToStore: string | null = null;
  if (parsed === null) {
    const anyKeyed = !!db.prepare("SELECT 1 AS x FROM admin_log WHERE hash LIKE 'hm1:%' LIMIT 1").get();
    if (!anyKeyed) {
      const head = dbHead(db);
      anchor = {
        v: 1,
        count: head.count,
        headHash: head.hash,
        keyedFrom: head.count + 1,
        at: clock.now().toISOString(),
      };
      anchorToStore = JSON.stringify(anchor);
    }
  }
  return { key, keyToStore, anchor, anchorToStore };
}

/**
 * Loads (or creates) the key and anchor through the async port and binds them to `db`. `loadOnly`:
 * never creates a key (a keyed log whose key is not in the store stays unbound).
 */
export async function openAdminLog(
  db: Database,
  secrets: SecretStore,
  clock: Clock = systemClock,
  { loadOnly = false } = {},
): Promise<void> {
  const keyText = await secrets.get(ADMIN_LOG_KEY_NAME);
  if (loadOnly && !parseKey(keyText)) throw new Error('the admin-log key is not in the secret store');
  const o = opening(db, keyText, await secrets.get(ADMIN_LOG_ANCHOR_NAME), clock);
  if (o.keyToStore) await secrets.set(ADMIN_LOG_KEY_NAME, o.keyToStore);
  if (o.anchorToStore) await secrets.set(ADMIN_LOG_ANCHOR_NAME, o.anchorToStore);
  bindAdminLog(db, new AnchorWriter(db, o.key, secrets, clock, o.anchor));
}

const reopening = new WeakMap<Database, Promise<void>>();
/** How long an admin action waits for the secret store to answer a key load (a hung keyring prompt). */
const RETRY_WAIT_MS = 5_000;

/**
 * Tries once more to load the key of a log that is keyed but has none bound (the desktop's secret
 * store failed at start-up, e.g. a locked keyring), so unlocking the keyring is enough: no restart.
 * Load only: a key missing from the store is never replaced by a new one here (the entries signed
 * with it would no longer verify, and a copy restored later would be overwritten). One attempt at a
 * time per database, waited for at most RETRY_WAIT_MS; a failure leaves it unbound (the caller then
 * refuses).
 */
export async function retryAdminLogKey(
  db: Database,
  secrets: SecretStore,
  clock: Clock = systemClock,
  waitMs = RETRY_WAIT_MS,
): Promise<void> {
  let attempt = reopening.get(db);
  if (!attempt) {
    attempt = openAdminLog(db, secrets, clock, { loadOnly: true })
      .catch(() => undefined)
      .finally(() => reopening.delete(db));
    reopening.set(db, attempt);
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([attempt, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
}

/** The same, synchronously, for stores that are synchronous underneath (used by createNodeContext). */
export function openAdminLogSync(
  db: Database,
  secrets: SecretStore & SyncSecretAccess,
  clock: Clock = systemClock,
): void {
  const o = opening(db, secrets.getSync(ADMIN_LOG_KEY_NAME), secrets.getSync(ADMIN_LOG_ANCHOR_NAME), clock);
  if (o.keyToStore) secrets.setSync(ADMIN_LOG_KEY_NAME, o.keyToStore);
  if (o.anchorToStore) secrets.setSync(ADMIN_LOG_ANCHOR_NAME, o.anchorToStore);
  bindAdminLog(db, new AnchorWriter(db, o.key, secrets, clock, o.anchor));
}

/** Waits for the anchor writes queued so far (roots call it before closing; verify before reading). */
export async function flushAdminLog(db: Database): Promise<void> {
  const b = adminLogBinding(db);
  if (b instanceof AnchorWriter) await b.pending;
}

/**
 * Verifies the chain with the key and against the anchor from the secret store. Read-only: a
 * missing key is not created here (keyed entries then fail to verify, which is the truth).
 */
export async function checkAdminLog(db: Database, secrets: SecretStore): Promise<ChainCheck> {
  await flushAdminLog(db);
  const key = adminLogBinding(db)?.key ?? parseKeyLenient(await secrets.get(ADMIN_LOG_KEY_NAME));
  const anchor = parseAnchor(await secrets.get(ADMIN_LOG_ANCHOR_NAME));
  return verifyAdminLog(db, { key, anchor });
}

function parseKeyLenient(text: string | null): Buffer | null {
  try {
    return parseKey(text);
  } catch {
    return null;
  }
}

/** The anchor as exports carry it (null when none is stored or it is unreadable). */
export async function adminLogAnchorForExport(
  db: Database,
  secrets: SecretStore,
): Promise<Omit<AdminLogAnchor, 'v'> | null> {
  await flushAdminLog(db);
  const a = parseAnchor(await secrets.get(ADMIN_LOG_ANCHOR_NAME));
  if (!a || a === 'unreadable') return null;
  const { v: _v, ...rest } = a;
  return rest;
}

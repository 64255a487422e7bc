import { osActor } from '../audit/admin-log.js';
import { createHash, randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { ConfigChange, FilePreview } from '../../../shared/model/config-write.js';
import { appendAdminAction } from '../audit/admin-log.js';
import type { DocFormat } from '../discovery/document.js';
import type { Clock, SecretStore } from '../ports.js';
import { redactText } from '../secrets/redact.js';
import { transaction, type Database } from '../store/database.js';
import { loadBackupKey, openBackup, sealBackup } from './backup-crypto.js';
import { unifiedDiff } from './diff.js';
import { editText, EditError, type EditOp } from './edit.js';
import { nodeWritableFs, tempPathFor, type FileStat, type WritableFs } from './fs.js';

/**
 * The one safe writer every config change goes through (issue #15). A change is planned, previewed
 * (masked diff, hashes) and then committed against that preview:
 *  - refused for symlinks, non-regular files, files of another user, read-only files or folders;
 *  - refused when the file changed since it was read (size, mtime and sha256 all compared);
 *  - the edit is made format-preserving and re-parsed (edit.ts) before anything is written;
 *  - the original bytes are backed up, encrypted, in the store before the write;
 *  - the write is atomic: a temp file in the same folder (same mode, owner and group), fsync,
 *    rename, fsync of the folder; any failure (disk full, I/O error) removes the temp file and the
 *    original is untouched;
 *  - every write and undo is an admin-log entry: file, pointers, before/after hashes, never content.
 */
export interface WriterDeps {
  db: Database;
  clock: Clock;
  secrets: SecretStore;
  writeFs?: WritableFs;
  actor?: string;
}

export type PlannedWrite =
  | {
      kind: 'edit';
      file: string;
      format: DocFormat;
      ops: EditOp[];
      summary: string;
      pointers: string[];
      /** Values to mask in the diff beyond what the redactor finds (never stored). */
      secretValues?: string[];
      /** The file may not exist yet: it is then created (mode 0600); undo deletes it. */
      create?: boolean;
    }
  | { kind: 'chmod'; file: string; mode: number; summary: string; pointers: string[] };

export class WriteRefused extends Error {
  override name = 'WriteRefused';
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface ReadState {
  stat: FileStat;
  bytes: Buffer;
  sha: string;
}

async function readChecked(fs: WritableFs, file: string): Promise<ReadState> {
  const stat = await fs.lstat(file);
  if (!stat) throw new WriteRefused(`${file} does not exist (any more).`);
  if (stat.isSymbolicLink)
    throw new WriteRefused(
      `${file} is a symbolic link: Gatehouse does not write through links (edit the file it points to, or replace the link with the file).`,
    );
  if (!stat.isFile) throw new WriteRefused(`${file} is not a regular file.`);
  const uid = fs.uid();
  if (uid !== undefined && uid !== 0 && stat.uid !== uid)
    throw new WriteRefused(
      `${file} belongs to another user (uid ${stat.uid}): Gatehouse only changes files you own. Ask that user (or an administrator) to apply the change.`,
    );
  if ((stat.mode & 0o200) === 0 || !(await fs.canWrite(file)))
    throw new WriteRefused(
      `${file} is read-only (mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')}): Gatehouse does not override that. Make it writable first if the change is intended.`,
    );
  if (!(await fs.canWrite(dirname(file))))
    throw new WriteRefused(
      `The folder of ${file} is not writable: the atomic write needs a temporary file beside the original.`,
    );
  const bytes = await fs.readBytes(file);
  return { stat, bytes, sha: sha256(bytes) };
}

/** A file about to be created: empty, owned by us, 0600. */
function absentFile(fs: WritableFs): ReadState {
  const uid = fs.uid() ?? 0;
  return {
    stat: { size: 0, mtimeMs: 0, mode: 0o100600, uid, gid: -1, isFile: true, isSymbolicLink: false },
    bytes: Buffer.alloc(0),
    sha: ABSENT,
  };
}

/** The "before" hash of a file that did not exist. */
export const ABSENT = 'absent';

function decode(bytes: Buffer, file: string): { text: string; bom: boolean } {
  let text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes))
    throw new WriteRefused(`${file} is not UTF-8 text: Gatehouse will not rewrite it.`);
  const bom = text.charCodeAt(0) === 0xfeff;
  if (bom) text = text.slice(1);
  return { text, bom };
}

export interface ComputedWrite {
  plan: PlannedWrite;
  read: ReadState;
  after: Buffer;
  afterMode: number;
  preview: FilePreview;
}

/** Reads the file, checks it may be written, computes the edit and its masked diff. */
export async function computeWrite(deps: WriterDeps, plan: PlannedWrite): Promise<ComputedWrite> {
  const fs = deps.writeFs ?? nodeWritableFs;
  const read =
    plan.kind === 'edit' && plan.create && !(await fs.lstat(plan.file))
      ? absentFile(fs)
      : await readChecked(fs, plan.file);
  if (plan.kind === 'chmod') {
    return {
      plan,
      read,
      after: read.bytes,
      afterMode: plan.mode,
      preview: {
        file: plan.file,
        kind: 'chmod',
        diff: `mode ${(read.stat.mode & 0o777).toString(8).padStart(4, '0')} → ${plan.mode.toString(8).padStart(4, '0')}\n`,
        beforeSha256: read.sha,
        afterSha256: read.sha,
        summary: plan.summary,
      },
    };
  }
  const { text, bom } = decode(read.bytes, plan.file);
  let edited: string;
  try {
    edited = editText(text, plan.format, plan.ops);
  } catch (err) {
    if (err instanceof EditError) throw new WriteRefused(`${plan.file}: ${err.message}`);
    throw err;
  }
  const after = Buffer.from((bom ? '\ufeff' : '') + edited, 'utf8');
  const known = plan.secretValues ?? [];
  const diff = unifiedDiff(text, edited, plan.file)
    .split('\n')
    .map((l) => redactText(l, known))
    .join('\n');
  return {
    plan,
    read,
    after,
    afterMode: read.stat.mode & 0o7777,
    preview: {
      file: plan.file,
      kind: 'edit',
      diff,
      beforeSha256: read.sha,
      afterSha256: sha256(after),
      summary: plan.summary,
    },
  };
}

/**
 * Writes `data` to `file` atomically with `mode` (and `owner`, when given). `expect` is what the
 * file must still be right before the rename (size and mtime; null: it must not exist). The
 * original is untouched on failure.
 */
async function atomicReplace(
  fs: WritableFs,
  file: string,
  data: Buffer,
  mode: number,
  owner: { uid: number; gid: number } | undefined,
  expect: { size: number; mtimeMs: number } | null,
): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    await fs.writeNewSynced(tmp, data, mode & 0o7777);
    await fs.chmod(tmp, mode & 0o7777); // the umask may have narrowed it
    if (fs.uid() !== undefined && owner) {
      const t = await fs.lstat(tmp);
      if (t && (t.uid !== owner.uid || t.gid !== owner.gid)) await fs.chown(tmp, owner.uid, owner.gid);
    }
    // Last look before the switch: the original must still be the file we read.
    const now = await fs.lstat(file);
    const same =
      expect === null
        ? now === null
        : !!now && now.size === expect.size && now.mtimeMs === expect.mtimeMs && !now.isSymbolicLink;
    if (!same) throw new WriteRefused(`${file} changed while it was being written; nothing was changed.`);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    if (err instanceof WriteRefused) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'the disk is full'
        : code === 'EIO'
          ? 'an I/O error occurred'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission was denied'
            : `the write failed (${code ?? (err as Error).message})`;
    throw new WriteRefused(`${file} was not changed: ${why}. The original file is intact.`);
  }
  await fs.syncDir(dirname(file));
}

const ownerOf = (st: FileStat) => (st.gid === -1 ? undefined : { uid: st.uid, gid: st.gid });

/** Puts `bytes` back into `file`, only if it still holds `expectSha` (what this apply wrote). */
async function putBack(
  fs: WritableFs,
  file: string,
  bytes: Buffer | null,
  mode: number,
  owner: { uid: number; gid: number } | undefined,
  expectSha: string,
): Promise<void> {
  const now = await fs.lstat(file);
  if (!now || now.isSymbolicLink || !now.isFile) throw new WriteRefused(`${file} is no longer the file written`);
  if (sha256(await fs.readBytes(file)) !== expectSha)
    throw new WriteRefused(`${file} was changed by another program meanwhile`);
  if (bytes === null) {
    await fs.unlink(file);
    return;
  }
  await atomicReplace(fs, file, bytes, mode, owner, now);
  if (sha256(await fs.readBytes(file)) !== sha256(bytes))
    throw new WriteRefused(`${file} did not read back as the original`);
}

/** One file's part of an all-or-nothing set: `revert` runs only after `apply` succeeded. */
interface Step {
  file: string;
  apply(): Promise<void>;
  revert(): Promise<void>;
}

export class RolledBack extends WriteRefused {
  constructor(
    message: string,
    readonly restored: string[],
    readonly stuck: Array<{ file: string; why: string }>,
  ) {
    super(message);
  }
}

/**
 * Runs every step; when one fails, reverts the steps already done (newest first) and throws a
 * RolledBack naming what was restored and what could not be (never silently half-applied).
 */
async function allOrNothing(steps: Step[], what: string): Promise<void> {
  const done: Step[] = [];
  for (const step of steps) {
    try {
      await step.apply();
      done.push(step);
    } catch (err) {
      const restored: string[] = [];
      const stuck: Array<{ file: string; why: string }> = [];
      for (const d of [...done].reverse()) {
        try {
          await d.revert();
          restored.push(d.file);
        } catch (e) {
          stuck.push({ file: d.file, why: (e as Error).message });
        }
      }
      const first = (err as Error).message;
      const rb =
        done.length === 0
          ? ''
          : stuck.length === 0
            ? ` ${what} was rolled back: ${restored.join(', ')} restored byte for byte; nothing of it remains.`
            : ` ${what} could NOT be fully rolled back: ${stuck.map((x) => `${x.file} (${x.why})`).join(', ')}` +
              `${restored.length ? `; restored: ${restored.join(', ')}` : ''}.`;
      throw new RolledBack(`${first}${rb}`, restored, stuck);
    }
  }
}

export interface CommitItem {
  plan: PlannedWrite;
  expect: FilePreview & { beforeSize?: number; beforeMtimeMs?: number };
}

/** Re-reads a file and checks it is still exactly what was previewed, and the edit gives the previewed bytes. */
async function recheck(deps: WriterDeps, item: CommitItem): Promise<ComputedWrite> {
  const { plan, expect } = item;
  const c = await computeWrite(deps, plan);
  if (
    !unchangedSince(c.read, expect) ||
    (expect.beforeSize !== undefined && expect.beforeSize !== c.read.stat.size) ||
    (expect.beforeMtimeMs !== undefined && expect.beforeMtimeMs !== c.read.stat.mtimeMs)
  )
    throw new WriteRefused(
      `${plan.file} changed since it was read (another program wrote it): nothing was written. Preview the change again.`,
    );
  if (c.preview.afterSha256 !== expect.afterSha256)
    throw new WriteRefused(`${plan.file}: the change no longer matches the preview; preview it again.`);
  return c;
}

function unchangedSince(read: ReadState, expect: FilePreview): boolean {
  return read.sha === expect.beforeSha256;
}

/**
 * Commits a previewed write: the file must still be exactly what was previewed (and the edit must
 * produce exactly the previewed bytes), else it is refused. Returns the recorded change.
 */
export async function commitWrite(
  deps: WriterDeps,
  plan: PlannedWrite,
  expect: CommitItem['expect'],
  notes: string[] = [],
): Promise<ConfigChange> {
  const [c] = await commitGroup(deps, [{ plan, expect }], notes);
  return c!;
}

/**
 * Commits several previewed writes as one, from the admin's point of view: every file is checked
 * first (unchanged since the preview, writable, edit still gives the previewed bytes) before any is
 * written; then they are written one by one and, if one fails, those already written are restored
 * from their backups byte for byte and the records removed. All share one group id.
 */
export async function commitGroup(
  deps: WriterDeps,
  items: CommitItem[],
  notes: string[] = [],
): Promise<ConfigChange[]> {
  const fs = deps.writeFs ?? nodeWritableFs;
  const files = items.map((i) => i.plan.file);
  const dup = files.find((f, i) => files.indexOf(f) !== i);
  if (dup) throw new WriteRefused(`${dup} appears twice in one change: preview it again.`);
  const computed: ComputedWrite[] = [];
  for (const item of items) computed.push(await recheck(deps, item));

  let key: Buffer;
  try {
    key = await loadBackupKey(deps.secrets);
  } catch (err) {
    throw new WriteRefused(
      `No backup key from the secret store (${deps.secrets.kind}: ${(err as Error).message}): without a backup Gatehouse does not write.`,
    );
  }
  const group = randomUUID();
  const at = deps.clock.now().toISOString();
  const actor = deps.actor ?? osActor();
  const ids = computed.map(() => randomUUID());
  const insert = deps.db.prepare(
    `INSERT INTO config_changes (id, at, actor, kind, file, summary, pointers_json, diff, before_sha256, before_size,
       before_mode, after_sha256, after_mode, backup, status, notes_json, group_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
  );
  // The backups are in the store (pending) before any file is touched.
  transaction(deps.db, () => {
    computed.forEach((c, i) => {
      const id = ids[i]!;
      insert.run(
        id,
        at,
        actor,
        c.plan.kind,
        c.plan.file,
        c.plan.summary,
        JSON.stringify(c.plan.pointers),
        c.preview.diff,
        c.read.sha,
        c.read.stat.size,
        c.read.stat.mode & 0o7777,
        c.preview.afterSha256,
        c.afterMode,
        sealBackup(key, c.read.bytes, `${id}\0${c.plan.file}`),
        JSON.stringify(notes),
        group,
      );
    });
  });

  const steps: Step[] = computed.map((c) => {
    const { plan, read } = c;
    if (plan.kind === 'chmod')
      return {
        file: plan.file,
        apply: () => fs.chmod(plan.file, plan.mode),
        revert: () => fs.chmod(plan.file, read.stat.mode & 0o7777),
      };
    if (read.sha === ABSENT) {
      const made: string[] = [];
      return {
        file: plan.file,
        apply: async () => {
          // The folders this creates are removed again by a rollback (deepest first, only if empty).
          for (let d = dirname(plan.file); d !== dirname(d) && !(await fs.lstat(d)); d = dirname(d)) made.push(d);
          await fs.mkdirp(dirname(plan.file));
          await atomicReplace(fs, plan.file, c.after, c.afterMode, undefined, null);
        },
        revert: async () => {
          await putBack(fs, plan.file, null, 0, undefined, c.preview.afterSha256);
          for (const d of made) await fs.rmdir(d).catch(() => undefined);
        },
      };
    }
    return {
      file: plan.file,
      apply: () => atomicReplace(fs, plan.file, c.after, c.afterMode, ownerOf(read.stat), read.stat),
      revert: () =>
        putBack(fs, plan.file, read.bytes, read.stat.mode & 0o7777, ownerOf(read.stat), c.preview.afterSha256),
    };
  });
  try {
    await allOrNothing(steps, 'The change');
  } catch (err) {
    const stuck = err instanceof RolledBack ? new Set(err.stuck.map((s) => s.file)) : new Set<string>();
    // Files that could not be put back keep their record (applied), so undo can still restore them.
    computed.forEach((c, i) => {
      if (stuck.has(c.plan.file))
        deps.db.prepare(`UPDATE config_changes SET status = 'applied' WHERE id = ?`).run(ids[i]!);
      else deps.db.prepare('DELETE FROM config_changes WHERE id = ?').run(ids[i]!);
    });
    if (err instanceof RolledBack && (err.restored.length || err.stuck.length))
      appendAdminAction(deps.db, deps.clock, {
        action: 'config.rollback',
        target: err.restored[0] ?? err.stuck[0]!.file,
        actor,
        details: { group, restored: err.restored, notRestored: err.stuck.map((s) => s.file), error: err.message },
      });
    throw err;
  }
  computed.forEach((c, i) => {
    const id = ids[i]!;
    deps.db.prepare(`UPDATE config_changes SET status = 'applied' WHERE id = ?`).run(id);
    appendAdminAction(deps.db, deps.clock, {
      action: c.plan.kind === 'chmod' ? 'config.chmod' : 'config.write',
      target: c.plan.file,
      actor,
      details: {
        change: id,
        group,
        file: c.plan.file,
        pointers: c.plan.pointers,
        beforeSha256: c.read.sha,
        afterSha256: c.preview.afterSha256,
        ...(c.plan.kind === 'chmod'
          ? { modeBefore: (c.read.stat.mode & 0o777).toString(8), modeAfter: c.plan.mode.toString(8) }
          : {}),
      },
    });
  });
  const fsOut = deps.writeFs ?? nodeWritableFs;
  const rows = ids.map((id) => deps.db.prepare('SELECT * FROM config_changes WHERE id = ?').get(id) as unknown as Row);
  return Promise.all(rows.map((r) => toChange(fsOut, r)));
}

interface Row {
  id: string;
  at: string;
  actor: string;
  kind: 'edit' | 'chmod';
  file: string;
  summary: string;
  pointers_json: string;
  diff: string;
  before_sha256: string;
  before_size: number;
  before_mode: number;
  after_sha256: string | null;
  after_mode: number | null;
  backup: Uint8Array;
  status: 'pending' | 'applied' | 'undone';
  undone_at: string | null;
  notes_json: string;
  group_id: string | null;
}

/** Why this change cannot be undone now (undefined: it can). */
async function undoBlocker(fs: WritableFs, r: Row): Promise<string | undefined> {
  if (r.status === 'undone') return 'already undone';
  const st = await fs.lstat(r.file);
  if (!st) return 'the file no longer exists';
  if (st.isSymbolicLink || !st.isFile) return 'the path is no longer a regular file';
  const sha = sha256(await fs.readBytes(r.file));
  if (sha !== r.after_sha256) return 'the file has changed since (a later change or another program): undo that first';
  if (r.kind === 'chmod' && (st.mode & 0o7777) !== r.after_mode) return 'the file mode has changed since';
  return undefined;
}

async function toChange(fs: WritableFs, r: Row, check = true): Promise<ConfigChange> {
  const blocked = check ? await undoBlocker(fs, r).catch((e: Error) => e.message) : 'not checked';
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    kind: r.kind,
    file: r.file,
    summary: r.summary,
    pointers: JSON.parse(r.pointers_json) as string[],
    diff: r.diff,
    beforeSha256: r.before_sha256,
    ...(r.after_sha256 ? { afterSha256: r.after_sha256 } : {}),
    status: r.status,
    ...(r.undone_at ? { undoneAt: r.undone_at } : {}),
    notes: JSON.parse(r.notes_json) as string[],
    undoable: !blocked,
    ...(blocked ? { undoBlocked: blocked } : {}),
    ...(r.group_id ? { group: r.group_id } : {}),
  };
}

export async function getChange(deps: WriterDeps, id: string): Promise<ConfigChange | undefined> {
  const r = deps.db.prepare('SELECT * FROM config_changes WHERE id = ?').get(id) as Row | undefined;
  return r ? toChange(deps.writeFs ?? nodeWritableFs, r) : undefined;
}

export async function listChanges(deps: WriterDeps): Promise<ConfigChange[]> {
  const rows = deps.db.prepare('SELECT * FROM config_changes ORDER BY at DESC, rowid DESC').all() as unknown as Row[];
  const fs = deps.writeFs ?? nodeWritableFs;
  return Promise.all(rows.map((r) => toChange(fs, r)));
}

/** Restores the file of a recorded change byte for byte (and its mode), if it has not moved on since. */
export async function undoChange(deps: WriterDeps, id?: string): Promise<ConfigChange> {
  const r = (id
    ? deps.db.prepare('SELECT * FROM config_changes WHERE id = ? OR id LIKE ?').all(id, `${id}%`)
    : deps.db
        .prepare(`SELECT * FROM config_changes WHERE status = 'applied' ORDER BY at DESC, rowid DESC LIMIT 1`)
        .all()) as unknown as Row[];
  if (r.length === 0) throw new WriteRefused(id ? `No recorded change ${id}.` : 'No change to undo.');
  if (r.length > 1) throw new WriteRefused(`${id} matches ${r.length} changes: give more of the id.`);
  const row = r[0]!;
  const blocked = await undoBlocker(deps.writeFs ?? nodeWritableFs, row);
  if (blocked) throw new WriteRefused(`Change ${row.id} cannot be undone: ${blocked}.`);
  const [c] = await undoRows(deps, [row]);
  return c!;
}

/**
 * Undoes every change of a group (one confirmation: bulk fix, quarantine, move), all or none: it is
 * refused, naming the file, when any of them moved on since; a failure midway puts back the files
 * already restored.
 */
export async function undoGroup(deps: WriterDeps, group: string): Promise<ConfigChange[]> {
  const fs = deps.writeFs ?? nodeWritableFs;
  const groups = (
    deps.db
      .prepare('SELECT DISTINCT group_id FROM config_changes WHERE group_id = ? OR group_id LIKE ?')
      .all(group, `${group}%`) as Array<{ group_id: string }>
  ).map((g) => g.group_id);
  if (groups.length === 0) throw new WriteRefused(`No recorded change group ${group}.`);
  if (groups.length > 1)
    throw new WriteRefused(`${group} matches ${groups.length} change groups: give more of the id.`);
  const all = deps.db
    .prepare('SELECT * FROM config_changes WHERE group_id = ? ORDER BY rowid')
    .all(groups[0]!) as unknown as Row[];
  const rows = all.filter((r) => r.status !== 'undone');
  if (rows.length === 0) throw new WriteRefused(`Change group ${groups[0]!} is already undone.`);
  for (const r of rows) {
    const blocked = await undoBlocker(fs, r);
    if (blocked)
      throw new WriteRefused(
        `Change group ${groups[0]!} cannot be undone: ${r.file} ${blocked.replace(/^the file /, '')}. Nothing was undone.`,
      );
  }
  return undoRows(deps, rows);
}

async function undoRows(deps: WriterDeps, rows: Row[]): Promise<ConfigChange[]> {
  const fs = deps.writeFs ?? nodeWritableFs;
  let key: Buffer;
  try {
    key = await loadBackupKey(deps.secrets);
  } catch (err) {
    throw new WriteRefused(`The backup key cannot be read from the secret store (${(err as Error).message}).`);
  }
  // Everything is read and opened before any file is touched.
  const prepared: Array<{ row: Row; read: ReadState; original: Buffer }> = [];
  for (const row of rows) {
    const read = await readChecked(fs, row.file);
    let original: Buffer;
    try {
      original = openBackup(key, Buffer.from(row.backup), `${row.id}\0${row.file}`);
    } catch (err) {
      throw new WriteRefused(`The backup of change ${row.id} cannot be opened (${(err as Error).message}).`);
    }
    if (row.before_sha256 !== ABSENT && sha256(original) !== row.before_sha256)
      throw new WriteRefused(`The backup of change ${row.id} (${row.file}) is damaged.`);
    prepared.push({ row, read, original });
  }
  const steps: Step[] = [...prepared].reverse().map(({ row, read, original }) => {
    const owner = ownerOf(read.stat);
    const curMode = read.stat.mode & 0o7777;
    if (row.kind === 'chmod')
      return {
        file: row.file,
        apply: () => fs.chmod(row.file, row.before_mode),
        revert: () => fs.chmod(row.file, curMode),
      };
    if (row.before_sha256 === ABSENT)
      // The change created the file: undo removes it (it still holds exactly what was written).
      return {
        file: row.file,
        apply: () => putBack(fs, row.file, null, 0, undefined, read.sha),
        revert: () => atomicReplace(fs, row.file, read.bytes, curMode, owner, null),
      };
    return {
      file: row.file,
      apply: () => putBack(fs, row.file, original, row.before_mode, owner, read.sha),
      revert: () => putBack(fs, row.file, read.bytes, curMode, owner, row.before_sha256),
    };
  });
  await allOrNothing(steps, 'The undo');
  const at = deps.clock.now().toISOString();
  for (const { row, read } of prepared) {
    deps.db.prepare(`UPDATE config_changes SET status = 'undone', undone_at = ? WHERE id = ?`).run(at, row.id);
    appendAdminAction(deps.db, deps.clock, {
      action: 'config.undo',
      target: row.file,
      actor: deps.actor ?? osActor(),
      details: {
        change: row.id,
        ...(row.group_id ? { group: row.group_id } : {}),
        file: row.file,
        pointers: JSON.parse(row.pointers_json) as string[],
        beforeSha256: read.sha,
        afterSha256: row.before_sha256,
      },
    });
  }
  return Promise.all(rows.map(async (r) => (await getChange(deps, r.id))!));
}

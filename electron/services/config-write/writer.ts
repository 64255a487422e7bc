import { osActor } from '../audit/admin-log.js';
import { createHash, randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { ConfigChange, FilePreview } from '../../../shared/model/config-write.js';
import { appendAdminAction } from '../audit/admin-log.js';
import type { DocFormat } from '../discovery/document.js';
import type { Clock, SecretStore } from '../ports.js';
import { redactText } from '../secrets/redact.js';
import type { Database } from '../store/database.js';
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

/** Writes `data` to `file` atomically, keeping mode, owner and group. The original is untouched on failure. */
async function atomicReplace(fs: WritableFs, file: string, data: Buffer, mode: number, st: FileStat): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    await fs.writeNewSynced(tmp, data, mode & 0o7777);
    await fs.chmod(tmp, mode & 0o7777); // the umask may have narrowed it
    if (fs.uid() !== undefined && st.gid !== -1) {
      const t = await fs.lstat(tmp);
      if (t && (t.uid !== st.uid || t.gid !== st.gid)) await fs.chown(tmp, st.uid, st.gid);
    }
    // Last look before the switch: the original must still be the file we read.
    const now = await fs.lstat(file);
    const same =
      st.gid === -1 ? now === null : !!now && now.size === st.size && now.mtimeMs === st.mtimeMs && !now.isSymbolicLink;
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
  expect: FilePreview & { beforeSize?: number; beforeMtimeMs?: number },
  notes: string[] = [],
): Promise<ConfigChange> {
  const fs = deps.writeFs ?? nodeWritableFs;
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

  let key: Buffer;
  try {
    key = await loadBackupKey(deps.secrets);
  } catch (err) {
    throw new WriteRefused(
      `No backup key from the secret store (${deps.secrets.kind}: ${(err as Error).message}): without a backup Gatehouse does not write.`,
    );
  }
  const id = randomUUID();
  const at = deps.clock.now().toISOString();
  const actor = deps.actor ?? osActor();
  const backup = sealBackup(key, c.read.bytes, `${id}\0${plan.file}`);
  deps.db
    .prepare(
      `INSERT INTO config_changes (id, at, actor, kind, file, summary, pointers_json, diff, before_sha256, before_size,
         before_mode, after_sha256, after_mode, backup, status, notes_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
    )
    .run(
      id,
      at,
      actor,
      plan.kind,
      plan.file,
      plan.summary,
      JSON.stringify(plan.pointers),
      c.preview.diff,
      c.read.sha,
      c.read.stat.size,
      c.read.stat.mode & 0o7777,
      c.preview.afterSha256,
      c.afterMode,
      backup,
      JSON.stringify(notes),
    );
  try {
    if (plan.kind === 'chmod') await fs.chmod(plan.file, plan.mode);
    else if (c.read.sha === ABSENT) {
      await fs.mkdirp(dirname(plan.file));
      await atomicReplace(fs, plan.file, c.after, c.afterMode, c.read.stat);
    } else await atomicReplace(fs, plan.file, c.after, c.afterMode, c.read.stat);
  } catch (err) {
    deps.db.prepare('DELETE FROM config_changes WHERE id = ?').run(id);
    throw err;
  }
  deps.db.prepare(`UPDATE config_changes SET status = 'applied' WHERE id = ?`).run(id);
  appendAdminAction(deps.db, deps.clock, {
    action: plan.kind === 'chmod' ? 'config.chmod' : 'config.write',
    target: plan.file,
    actor,
    details: {
      change: id,
      file: plan.file,
      pointers: plan.pointers,
      beforeSha256: c.read.sha,
      afterSha256: c.preview.afterSha256,
      ...(plan.kind === 'chmod'
        ? { modeBefore: (c.read.stat.mode & 0o777).toString(8), modeAfter: plan.mode.toString(8) }
        : {}),
    },
  });
  return (await getChange(deps, id))!;
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
}

/** Why this change cannot be undone now (undefined: it can). */
async function undoBlocker(fs: WritableFs, r: Row): Promise<string | undefined> {
  if (r.status === 'undone') return 'already undone';
  const st = await fs.lstat(r.file);
  if (r.status === 'pending') {
    // Interrupted: undo only when the file is (still or again) the original or the intended result.
    if (!st) return 'the file no longer exists';
  }
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
  const fs = deps.writeFs ?? nodeWritableFs;
  const r = (id
    ? deps.db.prepare('SELECT * FROM config_changes WHERE id = ? OR id LIKE ?').all(id, `${id}%`)
    : deps.db
        .prepare(`SELECT * FROM config_changes WHERE status = 'applied' ORDER BY at DESC, rowid DESC LIMIT 1`)
        .all()) as unknown as Row[];
  if (r.length === 0) throw new WriteRefused(id ? `No recorded change ${id}.` : 'No change to undo.');
  if (r.length > 1) throw new WriteRefused(`${id} matches ${r.length} changes: give more of the id.`);
  const row = r[0]!;
  const blocked = await undoBlocker(fs, row);
  if (blocked) throw new WriteRefused(`Change ${row.id} cannot be undone: ${blocked}.`);
  const read = await readChecked(fs, row.file);
  if (row.before_sha256 === ABSENT) {
    // The change created the file: undo removes it (it still holds exactly what was written).
    await fs.unlink(row.file);
  }
  let original: Buffer;
  try {
    original = openBackup(await loadBackupKey(deps.secrets), Buffer.from(row.backup), `${row.id}\0${row.file}`);
  } catch (err) {
    throw new WriteRefused(`The backup of change ${row.id} cannot be opened (${(err as Error).message}).`);
  }
  if (row.before_sha256 !== ABSENT && sha256(original) !== row.before_sha256)
    throw new WriteRefused(`The backup of change ${row.id} is damaged.`);
  if (row.before_sha256 === ABSENT) {
    /* removed above */
  } else if (row.kind === 'chmod') await fs.chmod(row.file, row.before_mode);
  else await atomicReplace(fs, row.file, original, row.before_mode, read.stat);
  const at = deps.clock.now().toISOString();
  deps.db.prepare(`UPDATE config_changes SET status = 'undone', undone_at = ? WHERE id = ?`).run(at, row.id);
  appendAdminAction(deps.db, deps.clock, {
    action: 'config.undo',
    target: row.file,
    actor: deps.actor ?? osActor(),
    details: {
      change: row.id,
      file: row.file,
      pointers: JSON.parse(row.pointers_json) as string[],
      beforeSha256: read.sha,
      afterSha256: row.before_sha256,
    },
  });
  return (await getChange(deps, row.id))!;
}

import type { Migration } from '../store/migrations.js';

/** Config writes own versions 700–799. */
export const CONFIG_WRITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 700,
    name: 'config writes: recorded changes with encrypted backups',
    sql: `
      CREATE TABLE config_changes (
        id TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,            -- 'edit' | 'chmod'
        file TEXT NOT NULL,
        summary TEXT NOT NULL,         -- masked, human words (never a value)
        pointers_json TEXT NOT NULL,
        diff TEXT NOT NULL,            -- masked unified diff
        before_sha256 TEXT NOT NULL,
        before_size INTEGER NOT NULL,
        before_mode INTEGER NOT NULL,
        after_sha256 TEXT,
        after_mode INTEGER,
        -- AES-256-GCM of the original bytes: iv (12) | tag (16) | ciphertext; key in the secret store
        backup BLOB NOT NULL,
        status TEXT NOT NULL,          -- 'pending' | 'applied' | 'undone'
        undone_at TEXT,
        notes_json TEXT NOT NULL DEFAULT '[]'
      );
      CREATE INDEX config_changes_file ON config_changes (file, at);
    `,
  },
  {
    version: 701,
    name: 'config writes: change groups (one confirmation, several files; undone together)',
    sql: `
      ALTER TABLE config_changes ADD COLUMN group_id TEXT;
      CREATE INDEX config_changes_group ON config_changes (group_id);
    `,
  },
];

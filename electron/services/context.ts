import type { FileIngestPort } from './audit/ingest-port.js';
import type { AuditQueries } from './audit/query-port.js';
import type { WriteTurnsBuffer } from './store/write-turns.js';
import type { Database } from './store/database.js';
import type { EventBus } from './events.js';
import type { Clock, DesktopShell, FileSystemPort, SecretStore, WorkstationPort } from './ports.js';

/** Everything a capability's handlers may use; built once per process by the composition root. */
export interface ServiceContext {
  db: Database;
  events: EventBus;
  clock: Clock;
  fs: FileSystemPort;
  workstation: WorkstationPort;
  secrets: SecretStore;
  /** Folder of the local store (database, logs). */
  stateDir: string;
  mode: 'desktop' | 'browser' | 'cli';
  version: string;
  /** OS shell actions; only the desktop app provides them. */
  shell?: DesktopShell;
  /**
   * Where audit queries run: a worker pool in the serving process (`gatehouse serve`), so they never
   * block its event loop; absent: inline on `db` (CLI, tests).
   */
  auditQueries?: AuditQueries;
  /**
   * Where file sources are imported: large imports on a worker thread in a serving process
   * (ingest-port.ts); absent: inline on `db`.
   */
  auditIngest?: FileIngestPort;
  /**
   * Turns at the store's write lock between this thread's admin actions and the ingest worker's long
   * transactions (write-turns.ts); absent: no worker writes beside this thread.
   */
  writeTurns?: WriteTurnsBuffer;
}

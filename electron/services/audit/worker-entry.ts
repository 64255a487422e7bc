/**
 * The audit worker threads' entry in the bundles (the desktop's audit-worker.cjs, the CLI's single
 * file): each module starts its loop when the thread's workerData names its role.
 */
import './query-worker.js';
import './ingest-worker.js';

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { lineMapper, type LineMapper, type LineMapperSpec } from './line-mapper.js';
import { sealLines, splitLines, type SealedBatch } from './sealed-batch.js';
import { workerExecArgv } from './worker-exec-argv.js';

/**
 * A thread that seals a file import's batches (issue #13 item 4): parse, map, mask, serialize and
 * hash each line's records (sealLines) while the importing thread writes the previous batch, so the
 * two halves of the per-event cost run side by side. Lines go in as one string, rows come back as
 * one packed string: no per-record structured clone on either thread. Writes, transactions and the
 * file position stay on the importing thread, so crash safety and dedupe are unchanged. This module
 * starts the worker loop itself when loaded as such a worker, so it is spawned from its own file
 * (sources and bundled CLI alike).
 */

export const SEAL_WORKER_ROLE = 'gatehouse-audit-seal';

interface SealWorkerData {
  role: typeof SEAL_WORKER_ROLE;
  spec: LineMapperSpec;
}
interface SealRequest {
  id: number;
  /** The batch's lines (UTF-8) joined by newlines (a line never holds one). */
  lines: Uint8Array;
}
type SealReply = { id: number; batch: SealedBatch } | { id: number; error: string };

/** A batch the sealer was closed before answering (its import stopped): nothing to do with it. */
export class SealerClosedError extends Error {
  override name = 'SealerClosedError';
}

export class SealWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (b: SealedBatch) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(spec: LineMapperSpec, workerUrl: URL = new URL(import.meta.url)) {
    const data: SealWorkerData = { role: SEAL_WORKER_ROLE, spec };
    this.worker = new Worker(workerUrl, {
      workerData: data,
      execArgv: workerExecArgv(workerUrl.href),
      ...(process.env.YG ? { resourceLimits: { maxYoungGenerationSizeMb: Number(process.env.YG) } } : {}),
    });
    this.worker.on('message', (reply: SealReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if ('batch' in reply) p.resolve(reply.batch);
      else p.reject(new Error(reply.error));
    });
    // 'error' is followed by 'exit'; every batch still waiting fails (the import seals it inline).
    this.worker.on('error', (err) => (this.failure ??= err));
    this.worker.on('exit', (code) => this.failAll(this.failure ?? new Error(`seal worker exited (${code})`)));
  }

  /** Seals a batch's lines (UTF-8, joined by newlines) on the worker; rejects when it fails or is closed. */
  seal(lines: Uint8Array): Promise<SealedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<SealedBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, lines } satisfies SealRequest);
    });
  }

  async close(): Promise<void> {
    this.failAll(new SealerClosedError('seal worker closed'));
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

function isWorkerData(v: unknown): v is SealWorkerData {
  return !!v && typeof v === 'object' && (v as { role?: unknown }).role === SEAL_WORKER_ROLE;
}

function runSealWorker(data: SealWorkerData): void {
  const port = parentPort;
  if (!port) return;
  const mapper: LineMapper = lineMapper(data.spec.format, data.spec);
  port.on('message', (req: SealRequest) => {
    let reply: SealReply;
    try {
      reply = { id: req.id, batch: sealLines(splitLines(req.lines), mapper) };
    } catch (err) {
      // sealLines rejects records one by one; only a failure of the thread itself (memory) lands here.
      reply = { id: req.id, error: err instanceof Error ? err.name : 'error' };
    }
    port.postMessage(reply);
  });
}

if (!isMainThread && isWorkerData(workerData)) runSealWorker(workerData);

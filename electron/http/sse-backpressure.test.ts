import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { runSseLoad } from '../../bench/sse-load.js';
import { EventBus } from '../services/events.js';
import type { AdminHandlers } from '../services/handlers.js';
import { startHttpServer, type HttpServerHandle } from './server.js';

/**
 * SSE backpressure (issue #13 item 3): a client that stops reading never makes the server hold an
 * unbounded queue for it. Behaviour only; the memory figures are in `npm run bench -- sse`.
 */

function openPaused(
  port: number,
  token: string,
): Promise<{ socket: Socket; text: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (d: string) => {
      text += d;
      if (!done && text.includes(': connected')) {
        done = true;
        socket.pause();
        resolve({ socket, text: () => text, closed });
      }
    });
    socket.once('close', () => !done && reject(new Error('closed before connecting')));
    socket.write(`GET /api/events?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  });
}

describe('SSE: slow consumers (in-process server)', () => {
  const events = new EventBus();
  let server: HttpServerHandle;
  before(async () => {
    server = await startHttpServer({ handlers: {} as AdminHandlers, events, sseMaxQueuedBytes: 64 * 1024 });
  });
  after(() => server.close());

  test('a client that stops reading is disconnected once its queue passes the bound; a reader keeps everything', async () => {
    const slow = await openPaused(server.port, server.token);
    const fast = await openPaused(server.port, server.token);
    fast.socket.resume();
    // 16 MB of events that cannot be coalesced: far more than the socket buffers plus the bound.
    const big = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 1024; i++) {
      events.emit('audit.ingested', { source: `${i}:${big}`, imported: i });
      // A reader keeps up when the bursts fit its bound (a burst larger than that is a slow consumer).
      if (i % 2 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    events.emit('audit.ingested', { source: 'last', imported: -1 });
    slow.socket.resume();
    await slow.closed; // the server ended the slow stream
    assert.ok(slow.text().length < 8 * 1024 * 1024, `slow client got ${slow.text().length} bytes`);
    for (let i = 0; i < 200 && !fast.text().includes('"source":"last"'); i++)
      await new Promise((r) => setTimeout(r, 25));
    assert.ok(fast.text().includes('"source":"last"'), 'the reading client got every event');
    fast.socket.destroy();
  });

  test('while a client is backed up, progress keeps only the latest and store.changed topics merge', async () => {
    const roomy = await startHttpServer({ handlers: {} as AdminHandlers, events, sseMaxQueuedBytes: 64 << 20 });
    try {
      const slow = await openPaused(roomy.port, roomy.token);
      const filler = 'y'.repeat(16 * 1024);
      for (let i = 0; i < 512; i++) events.emit('audit.ingested', { source: filler, imported: i }); // 8 MB: backs it up
      for (let i = 1; i <= 5000; i++) events.emit('discovery.progress', { phase: 'parsing', done: i, total: 5000 });
      // Two sources' imports: each keeps its own latest (A's end is not replaced by B's progress).
      const sync = (id: string, phase: 'storing' | 'done', lines: number) =>
        events.emit('audit.sync.progress', {
          id,
          source: id,
          phase,
          bytes: lines,
          totalBytes: 900,
          lines,
          imported: lines,
        });
      sync('A', 'storing', 100);
      sync('B', 'storing', 100);
      sync('A', 'done', 900);
      sync('B', 'storing', 400);
      events.emit('store.changed', { topics: ['discovery'] });
      events.emit('store.changed', { topics: ['findings'] });
      events.emit('store.changed', { topics: ['discovery', 'audit'] });
      slow.socket.resume();
      for (let i = 0; i < 400 && !slow.text().includes('"done":5000'); i++) await new Promise((r) => setTimeout(r, 25));
      const text = slow.text();
      assert.ok(text.includes('"done":5000'), 'the latest progress arrives');
      assert.equal(text.split('event: discovery.progress\n').length - 1, 1, 'progress coalesced to one event');
      const syncs = [...text.matchAll(/event: audit\.sync\.progress\ndata: (\{[^\n]*\})/g)].map((m) => {
        const p = JSON.parse(m[1] ?? '{}') as { id: string; phase: string; lines: number };
        return `${p.id} ${p.phase} ${p.lines}`;
      });
      assert.deepEqual(syncs.sort(), ['A done 900', 'B storing 400']);
      assert.equal(text.split('event: store.changed\n').length - 1, 1, 'store.changed coalesced to one event');
      assert.match(text, /data: \{"topics":\["discovery","findings","audit"\]\}/);
      assert.equal(
        text.split('event: audit.ingested\n').length - 1,
        512,
        'other events are all kept (within the bound)',
      );
      slow.socket.destroy();
    } finally {
      await roomy.close();
    }
  });

  test('a reconnecting client (Last-Event-ID) is told that every topic changed', async () => {
    const socket = connect(server.port, '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8').on('data', (d: string) => (text += d));
    socket.write(
      `GET /api/events?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nLast-Event-ID: 41\r\n\r\n`,
    );
    for (let i = 0; i < 200 && !text.includes('event: store.changed'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(text, /event: store\.changed\ndata: \{"topics":\[[^\]]*"discovery"[^\]]*"audit"/);
    socket.destroy();
  });
});

describe('SSE: slow consumers against a real `gatehouse serve`', () => {
  test('clients that never read get coalesced progress (ending in "done") while a reader gets every event', async () => {
    const r = await runSseLoad({ files: 3000, slow: 10, discoveries: 6 });
    // Discovery progress is thinned at the source to whole percentage steps (events.ts): the reader
    // gets every run's final step and every store.changed, in order, and no more progress than a
    // progress bar can show (3,000 files used to mean ~6,000 steps per run).
    assert.equal(r.readerDoneEvents, 6, `reader got ${r.readerDoneEvents} "done" steps`);
    assert.ok(r.readerStoreChanged >= 6, `reader got ${r.readerStoreChanged} store.changed events`);
    assert.ok(r.readerProgressMonotonic, 'progress never goes backwards within a phase');
    assert.ok(r.readerProgressEvents >= 6 * 3, `reader got ${r.readerProgressEvents} progress events`);
    assert.ok(r.readerProgressEvents <= 6 * 4 * 102, `reader got ${r.readerProgressEvents} progress events`);
    // With progress thinned, a paused client's socket buffers may hold all of it (nothing to
    // coalesce); when they fill, it is coalesced or disconnected (the in-process tests above force
    // that). Either way it never gets more than the reader, and what it gets ends with "done".
    for (const s of r.slow) {
      if (s.ended) continue; // disconnected as a slow consumer: also bounded
      assert.ok(
        s.progressEvents <= r.readerProgressEvents,
        `a paused client was sent no more progress events than the reader (${s.progressEvents} ≤ ${r.readerProgressEvents})`,
      );
      assert.match(s.lastProgress ?? '', /"phase":"done"/, 'its last progress is the final one');
    }
    assert.ok(r.appInfoMsAfter < 5_000, 'the server still answers');
  });
});

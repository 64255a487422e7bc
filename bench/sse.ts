import { runSseLoad } from './sse-load.js';

/**
 * SSE memory under slow consumers (issue #13 item 3): a real `gatehouse serve` on a 300-project
 * home (3,600 config files), 100 SSE clients that never read, 40 discoveries. Reports the server's
 * RSS before, at its peak (VmHWM) and after. Goal: under 300 MB.
 */
export async function benchSse(): Promise<Record<string, string | number>> {
  const slow = Number(process.env.GATEHOUSE_BENCH_SSE_CLIENTS ?? 100);
  const discoveries = Number(process.env.GATEHOUSE_BENCH_SSE_DISCOVERIES ?? 40);
  const r = await runSseLoad({ files: 3600, slow, discoveries });
  const ended = r.slow.filter((s) => s.ended).length;
  const kept = r.slow.filter((s) => !s.ended);
  return {
    'config files / servers': `${r.sources} / ${r.servers}`,
    'paused clients / discoveries': `${slow} / ${discoveries}`,
    'progress events to the reader': r.readerProgressEvents,
    'paused clients disconnected': ended,
    'progress events kept per paused client (max)': Math.max(0, ...kept.map((s) => s.progressEvents)),
    'server RSS MB start / peak / end': `${r.rssStartMb.toFixed(0)} / ${r.rssPeakMb.toFixed(0)} / ${r.rssEndMb.toFixed(0)}`,
    'app.info ms after the load': Number(r.appInfoMsAfter.toFixed(1)),
    'wall s': Number(r.seconds.toFixed(1)),
    'target met (peak ≤ 300 MB)': r.rssPeakMb <= 300 ? 'yes' : 'no',
  };
}

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { caseSeed, fuzz, makeCase, runCase } from './fuzz.js';

/**
 * `npm run fuzz [-- --seed N --cases N --budget MS]`: the full fuzz pass (default 10,000 cases from
 * seed 12). `--case <seed>` re-runs one failing case and prints it. The cases run in a worker
 * thread watched by this one: a case that never returns (an unbounded loop) is stopped after
 * 30 s and reported with its seed instead of hanging the run. Exit 1 on any failure.
 */
interface Args {
  seed: number;
  cases: number;
  budget: number;
  one?: number;
}

function args(argv: string[]): Args {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const one = get('--case');
  return {
    seed: get('--seed') ?? 12,
    cases: get('--cases') ?? 10_000,
    budget: get('--budget') ?? 5_000,
    ...(one !== undefined ? { one } : {}),
  };
}

const HANG_MS = 30_000;

if (!isMainThread) {
  const a = workerData as Args;
  const summary = await fuzz(a.seed, a.cases, {
    budgetMs: a.budget,
    onStart: (c) => parentPort!.postMessage({ start: c.seed }),
    onCase: (_c, r) => parentPort!.postMessage({ done: r.seed, failure: r.failure }),
  });
  parentPort!.postMessage({ summary });
} else {
  const a = args(process.argv.slice(2));
  if (a.one !== undefined) {
    const c = makeCase(a.one);
    process.stdout.write(
      `case ${c.seed}: ${c.source} → ${c.path} (${c.format}), mutations: ${c.mutations.join(', ') || 'none'}, ${c.text.length} chars\n`,
    );
    const r = await runCase(c, a.budget);
    process.stdout.write(`${r.failure ? `FAILED: ${r.failure}` : `ok (${r.status})`} in ${r.ms} ms\n`);
    process.exit(r.failure ? 1 : 0);
  }
  process.stdout.write(`fuzz: ${a.cases} cases from seed ${a.seed} (budget ${a.budget} ms per file)\n`);
  const t0 = performance.now();
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: a,
    resourceLimits: { maxOldGenerationSizeMb: 2048 },
  });
  let current: number | undefined;
  let since = performance.now();
  let done = 0;
  const watchdog = setInterval(() => {
    if (current !== undefined && performance.now() - since > HANG_MS) {
      process.stdout.write(
        `HUNG: case ${current} ran over ${HANG_MS / 1000} s; reproduce: npm run fuzz -- --case ${current}\n`,
      );
      void worker.terminate();
      process.exitCode = 1;
    }
  }, 1_000);
  worker.on(
    'message',
    (m: { start?: number; done?: number; failure?: string; summary?: Awaited<ReturnType<typeof fuzz>> }) => {
      if (m.start !== undefined) {
        current = m.start;
        since = performance.now();
      }
      if (m.done !== undefined) {
        current = undefined;
        if (++done % 1000 === 0)
          process.stdout.write(`  ${done} cases, ${Math.round((performance.now() - t0) / 1000)} s\n`);
        if (m.failure)
          process.stdout.write(`FAILED case ${m.done}: ${m.failure}; reproduce: npm run fuzz -- --case ${m.done}\n`);
      }
      if (m.summary) {
        const s = m.summary;
        clearInterval(watchdog);
        process.stdout.write(
          [
            `cases            ${s.cases}`,
            `failures         ${s.failures.length}`,
            `slowest case     ${s.maxMs} ms (case ${s.maxSeed})`,
            `mean case        ${(s.totalMs / s.cases).toFixed(1)} ms`,
            `peak heap        ${s.peakHeapMb} MB`,
            `crafted sources  ${Object.entries(s.statuses)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}`,
            `wall             ${Math.round((performance.now() - t0) / 1000)} s`,
            '',
          ].join('\n'),
        );
        for (const f of s.failures.slice(0, 20))
          process.stdout.write(`  case ${f.seed} (${f.source}; ${f.mutations.join(',')}; ${f.path}): ${f.failure}\n`);
        if (s.failures.length) process.exitCode = 1;
        void worker.terminate();
      }
    },
  );
  worker.on('error', (err) => {
    clearInterval(watchdog);
    process.stdout.write(
      `worker died during case ${current ?? '?'}: ${err.message}; reproduce: npm run fuzz -- --case ${current}\n`,
    );
    process.exitCode = 1;
  });
}

export { caseSeed };

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EventName } from '../../shared/api/contract.js';
import { EventBus } from './events.js';

function record(bus: EventBus) {
  const got: [EventName, unknown][] = [];
  bus.subscribe((e, p) => got.push([e, p]));
  return got;
}

describe('EventBus: discovery progress thinned to percentage steps', () => {
  test('a 7,800-step run publishes at most ~100 steps per phase, first and last of each included', () => {
    const bus = new EventBus();
    const got = record(bus);
    for (const [phase, total] of [
      ['locating', 4800],
      ['parsing', 3000],
    ] as const) {
      for (let done = 0; done <= total; done++) bus.emit('discovery.progress', { phase, done, total });
    }
    bus.emit('discovery.progress', { phase: 'done', done: 3000, total: 3000 });
    const steps = got.map(([, p]) => p as { phase: string; done: number; total: number });
    const of = (phase: string) => steps.filter((s) => s.phase === phase);
    assert.ok(of('locating').length <= 101 && of('locating').length >= 100, `${of('locating').length}`);
    assert.ok(of('parsing').length <= 101 && of('parsing').length >= 100, `${of('parsing').length}`);
    assert.deepEqual(of('locating')[0], { phase: 'locating', done: 0, total: 4800 });
    assert.deepEqual(of('locating').at(-1), { phase: 'locating', done: 4800, total: 4800 });
    assert.deepEqual(of('parsing').at(-1), { phase: 'parsing', done: 3000, total: 3000 });
    assert.deepEqual(steps.at(-1), { phase: 'done', done: 3000, total: 3000 });
    // Every published step is a new whole percentage (nothing a progress bar would not show).
    const pct = (s: { done: number; total: number }) => Math.floor((s.done * 100) / s.total);
    for (const phase of ['locating', 'parsing'])
      of(phase).forEach((s, i, a) => i === 0 || assert.ok(pct(s) > pct(a[i - 1]!), JSON.stringify(s)));
  });

  test('a second run, a smaller total or a restart publishes its first step again', () => {
    const bus = new EventBus();
    const got = record(bus);
    bus.emit('discovery.progress', { phase: 'parsing', done: 0, total: 1000 });
    bus.emit('discovery.progress', { phase: 'parsing', done: 500, total: 1000 });
    bus.emit('discovery.progress', { phase: 'parsing', done: 501, total: 1000 }); // same percent: dropped
    bus.emit('discovery.progress', { phase: 'parsing', done: 3, total: 10 }); // other total: kept
    bus.emit('discovery.progress', { phase: 'parsing', done: 1, total: 10 }); // went back: kept
    assert.deepEqual(
      got.map(([, p]) => (p as { done: number }).done),
      [0, 500, 3, 1],
    );
  });

  test('other events, including live.progress (each names a server result), are never thinned', () => {
    const bus = new EventBus();
    const got = record(bus);
    for (let i = 0; i < 500; i++) {
      bus.emit('live.progress', { scanId: 1, serverId: `s${i}`, name: `s${i}`, status: 'ok', done: i, total: 10_000 });
      bus.emit('store.changed', { topics: ['discovery'] });
    }
    assert.equal(got.filter(([e]) => e === 'live.progress').length, 500);
    assert.equal(got.filter(([e]) => e === 'store.changed').length, 500);
  });
});

/**
 * Heap per 100k keys in InMemoryStore (a benchmark, not a test: vitest ignores this file).
 * Run: node --expose-gc test/functions/state/memory-bench.ts
 * Each case runs in its own child process so earlier stores cannot skew the heap delta.
 */
import { spawnSync } from 'node:child_process';
import { FakeClock } from '../../../functions/clock.ts';
import { InMemoryStore } from '../../../functions/state/index.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

const KEYS = 100_000;
const cases: [string, (i: number) => unknown, number][] = [
  ['number value', (i) => i, 0],
  ['{ count, lastSeenMs } value', (i) => ({ count: i, lastSeenMs: 1_767_225_600_000 + i }), 0],
  ['{ count, lastSeenMs } value + TTL', (i) => ({ count: i, lastSeenMs: 1_767_225_600_000 + i }), 60_000],
];
const only = process.argv[2];
if (only === undefined) {
  for (let i = 0; i < cases.length; i++) {
    spawnSync(process.execPath, ['--expose-gc', process.argv[1] as string, String(i)], { stdio: 'inherit' });
  }
}
for (const [name, value, ttlMs] of only === undefined ? [] : cases.slice(Number(only), Number(only) + 1)) {
  // Keys are built before measuring so only the store's own cost counts.
  const keys = Array.from({ length: KEYS }, (_, i) => `user-${i.toString().padStart(8, '0')}`);
  const before = heapAfterGc();
  const store = new InMemoryStore<unknown>({ clock: new FakeClock(), maxKeys: KEYS });
  for (let i = 0; i < KEYS; i++) store.put(keys[i] as string, value(i), { ttlMs });
  const after = heapAfterGc();
  const mib = (after - before) / 2 ** 20;
  console.log(
    `${name}: ${mib.toFixed(1)} MiB per ${KEYS} keys (${((after - before) / KEYS).toFixed(0)} B/key; store's own estimate ${(store.approxBytes() / 2 ** 20).toFixed(1)} MiB; keys ${store.size()})`,
  );
}

/**
 * Event-time windows through a real worker on a real broker: one known stream with out-of-order,
 * late-but-allowed and too-late events, published to the `events` topic of three namespaces
 * (tumbling, sliding, session), gives exactly the hand-computed window results on `predictions`,
 * and the too-late events land on `dead-letter` with reason `late-event`.
 *
 * The source goes idle after the stream, so a final far-future event (key `zz`) moves the
 * watermark and fires every open window (its own window stays open and emits nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileKeyring, newKeyringDocument, openDeadLetter, silentLogger, type DeadLetterRecord } from '../../functions/control-plane.ts';
import { startWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import type { WindowOptions } from '../../functions/windows/index.ts';
import { windowSumHandler } from './window-support.ts';
import { admin, createNamespace, createTenant, deleteTenant, env, newClient, parse, readAll, topic, waitFor } from './worker-support.ts';

/** Aligned to 10 s, so window bounds are easy to read relative to it. */
const T0 = 1_700_000_000_000;
const s = (sec: number): number => T0 + sec * 1000;

/** [key, event time in s after T0, amount], in publish order. */
const STREAM: ReadonlyArray<readonly [string, number, number]> = [
  ['a', 1, 1], //  #0
  ['b', 2, 10], // #1
  ['a', 5, 2], //  #2
  ['a', 3, 4], //  #3 out of order, within maxOutOfOrderness
  ['b', 11, 20], // #4 watermark -> 9
  ['a', 12, 8], // #5 watermark -> 10
  ['a', 8, 16], // #6 behind the watermark, within allowed lateness
  ['b', 16, 5], // #7 watermark -> 14
  ['a', 9, 32], // #8 tumbling: beyond lateness; sliding/session: joins a later window
  ['a', 15, 64], // #9
  ['a', 4, 128], // #10 beyond the allowed lateness for every window type
  ['zz', 100, 0], // #11 far future: watermark -> 98, fires everything
];

/** What one window result looks like on `predictions` (times in s after T0). */
type Expected = [
  key: string,
  startS: number,
  endS: number,
  sum: number,
  count: number,
  trigger: 'on-time' | 'late',
  replaces?: Array<[number, number]>,
];

const CASES: Array<{ name: string; windows: WindowOptions<unknown>; results: Expected[]; late: number[] }> = [
  {
    name: 'tumbling',
    windows: { type: 'tumbling', sizeMs: 10_000 },
    results: [
      ['a', 0, 10, 7, 3, 'on-time'],
      ['a', 0, 10, 23, 4, 'late'],
      ['a', 10, 20, 72, 2, 'on-time'],
      ['b', 0, 10, 10, 1, 'on-time'],
      ['b', 10, 20, 25, 2, 'on-time'],
    ],
    late: [8, 10],
  },
  {
    name: 'sliding',
    windows: { type: 'sliding', sizeMs: 10_000, slideMs: 5_000 },
    results: [
      ['a', -5, 5, 5, 2, 'on-time'],
      ['a', 0, 10, 7, 3, 'on-time'],
      ['a', 0, 10, 23, 4, 'late'],
      ['a', 5, 15, 58, 4, 'on-time'],
      ['a', 10, 20, 72, 2, 'on-time'],
      ['a', 15, 25, 64, 1, 'on-time'],
      ['b', -5, 5, 10, 1, 'on-time'],
      ['b', 0, 10, 10, 1, 'on-time'],
      ['b', 5, 15, 20, 1, 'on-time'],
      ['b', 10, 20, 25, 2, 'on-time'],
      ['b', 15, 25, 5, 1, 'on-time'],
    ],
    late: [10],
  },
  {
    name: 'session',
    windows: { type: 'session', gapMs: 3_000 },
    results: [
      ['a', 1, 8, 7, 3, 'on-time'],
      // #6 extends the emitted session [1, 8): the new one replaces it.
      ['a', 1, 11, 23, 4, 'on-time', [[1, 8]]],
      // [1, 11) is purged at watermark 14, so #8 starts a session that touches [12, 15).
      ['a', 9, 18, 104, 3, 'on-time'],
      ['b', 2, 5, 10, 1, 'on-time'],
      ['b', 11, 14, 20, 1, 'on-time'],
      ['b', 16, 19, 5, 1, 'on-time'],
    ],
    late: [10],
  },
];

const JSON_SCHEMA = {
  type: 'JSON',
  data: JSON.stringify({
    type: 'record',
    name: 'Payment',
    fields: [
      { name: 'card', type: 'string' },
      { name: 'amount', type: 'double' },
    ],
  }),
  properties: { __alwaysAllowNull: 'true', __jsr310ConversionEnabled: 'false' },
} as const;

const client = newClient();
/** #21: dead letters seal their content under the tenant key; the test opens them with it. */
const keyring = compileKeyring(newKeyringDocument('test-1'), 'test');
let tenant = '';
const workers: RunningWorker[] = [];

beforeAll(async () => {
  tenant = await createTenant('wwin');
  for (const c of CASES) {
    for (const ns of [c.name, `${c.name}-restart`]) {
      await createNamespace(tenant, ns);
      await admin.schemas.post(topic(tenant, ns, 'events'), JSON_SCHEMA);
    }
  }
});

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.stop()));
  await client.close();
  if (tenant !== '') await deleteTenant(tenant);
});

async function start(namespace: string, windows: WindowOptions<unknown>): Promise<RunningWorker> {
  const w = await startWorker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    tenant,
    namespace,
    guarantee: 'effectively-once',
    httpPort: -1,
    keyring,
    // Small batches so the stream spans several commits.
    batchMaxRecords: 4,
    batchMaxWaitMs: 5,
    handler: windowSumHandler(windows),
    log: silentLogger,
  });
  workers.push(w);
  return w;
}

/** Publishes STREAM[from, to) to a namespace's `events`; returns the message ids. */
async function publish(namespace: string, from: number, to: number): Promise<string[]> {
  const producer = await client.createProducer({ topic: topic(tenant, namespace, 'events'), batching: false });
  const sent: string[] = [];
  for (const [key, sec, amount] of STREAM.slice(from, to)) {
    const id = await producer.send({ key, payload: JSON.stringify({ card: key, amount }), eventTimeMs: s(sec) });
    sent.push(id.toString());
  }
  await producer.close();
  return sent;
}

async function untilProcessed(running: readonly RunningWorker[], n: number): Promise<void> {
  await waitFor(
    () => running.every((w) => w.worker.processed === n),
    30_000,
    `every worker to commit ${n} inputs`,
    () => {
      for (const w of running) expect(w.worker.state).toBe('running');
    },
  );
}

async function expectResults(namespace: string, c: (typeof CASES)[number], ids: readonly string[]): Promise<void> {
  // Outputs are published before the inputs are acked, so they are all on the topic now.
  const got = (await readAll(client, topic(tenant, namespace, 'predictions'))).map(parse);
  const byKey = (k: string): unknown[] => got.filter((g) => g['key'] === k);
  const want = (k: string): unknown[] =>
    c.results
      .filter((r) => r[0] === k)
      .map(([key, st, en, sum, count, trigger, replaces]) => ({
        key,
        startMs: s(st),
        endMs: s(en),
        sum,
        count,
        trigger,
        ...(replaces ? { replaces: replaces.map(([a, b]) => ({ startMs: s(a), endMs: s(b) })) } : {}),
      }));
  expect({ window: namespace, a: byKey('a') }).toEqual({ window: namespace, a: want('a') });
  expect({ window: namespace, b: byKey('b') }).toEqual({ window: namespace, b: want('b') });
  expect(got).toHaveLength(c.results.length);

  const dead = await readAll(client, topic(tenant, namespace, 'dead-letter'));
  const records = dead.map(parse);
  expect(records.map((r) => r['reason'])).toEqual(c.late.map(() => 'late-event'));
  expect(dead.map((m) => m.properties['beamline.reason'])).toEqual(c.late.map(() => 'late-event'));
  expect(records.map((r) => r['messageId'])).toEqual(c.late.map((n) => ids[n]));
  expect(records.map((r) => r['eventTimeMs'])).toEqual(c.late.map((n) => s(STREAM[n]?.[1] as number)));
  for (const [j, r] of records.entries()) {
    const [key, , amount] = STREAM[c.late[j] as number] as readonly [string, number, number];
    const content = openDeadLetter(r as unknown as DeadLetterRecord, keyring);
    expect(JSON.parse(Buffer.from(content.payloadBase64, 'base64').toString())).toEqual({ card: key, amount });
  }
}

describe('worker windows on a real broker', () => {
  it('gives exactly the expected tumbling, sliding and session results, and dead-letters too-late events', async () => {
    // Publish first: the workers then meet the whole stream as a backlog, in batches.
    const ids = await Promise.all(CASES.map((c) => publish(c.name, 0, STREAM.length)));
    const running = await Promise.all(CASES.map((c) => start(c.name, c.windows)));
    await untilProcessed(running, STREAM.length);
    for (const [i, c] of CASES.entries()) await expectResults(c.name, c, ids[i] ?? []);
  });

  it('gives the same results when the worker restarts mid-stream (window state restored from the state topic)', async () => {
    // Stop after #6 (a late-but-allowed update is in the window state), restart, go on.
    const half = 7;
    const first = await Promise.all(CASES.map((c) => publish(`${c.name}-restart`, 0, half)));
    const before = await Promise.all(CASES.map((c) => start(`${c.name}-restart`, c.windows)));
    await untilProcessed(before, half);
    await Promise.all(before.map((w) => w.stop()));
    const after = await Promise.all(CASES.map((c) => start(`${c.name}-restart`, c.windows)));
    const rest = await Promise.all(CASES.map((c) => publish(`${c.name}-restart`, half, STREAM.length)));
    await untilProcessed(after, STREAM.length - half);
    for (const [i, c] of CASES.entries()) await expectResults(`${c.name}-restart`, c, [...(first[i] ?? []), ...(rest[i] ?? [])]);
  });
});

/**
 * Windows with replicas (#17), on the shared broker: tumbling, sliding and session windows of a
 * 6-partition namespace give the same results when the namespace runs as replicas that join and
 * leave mid-stream as when one replica runs it alone. Windows and their watermark are per
 * partition and move with it (restored from the partition's state on a gain), so every window
 * result and every late-event dead letter must be the same, each once.
 *
 * Each window type gets two namespaces fed the same events, partition by partition (each event is
 * produced to the partition its key maps to, so both see the same per-partition order): the
 * reference, one replica from start to end; and the replicas run: two replicas, a third joins after
 * a third of the stream, one leaves (drained, as on SIGTERM) after two thirds, and comes back.
 * Replicas here are workers in this process, each with its own client (a hand-over between
 * processes and after SIGKILL is worker-replicas.test.ts's). The stream has out-of-order events,
 * late-but-allowed ones and too-late ones; a far-future event on every partition at the end moves
 * each watermark past every window. BL_RWIN_LOG=<file> writes the workers' logs there.
 */
import { createWriteStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootLogger, silentLogger } from '../../functions/control-plane.ts';
import type { PulsarClient } from '../../functions/pulsar/index.ts';
import { startWorker, type PartitionedWorker, type RunningWorker } from '../../functions/runtime/index.ts';
import type { WindowOptions } from '../../functions/windows/index.ts';
import { windowSumHandler } from './window-support.ts';
import {
  admin,
  createTenant,
  deduplicateOutputs,
  deleteTenant,
  env,
  newClient,
  parse,
  readAll,
  topic,
  waitFor,
  waitForAsync,
} from './worker-support.ts';

const logFile = process.env['BL_RWIN_LOG'];
const log = logFile === undefined ? silentLogger : createRootLogger({ destination: createWriteStream(logFile) });
const PARTITIONS = 6;
const KEYS = 24;
const EVENTS = 900;
const T0 = 1_700_000_000_000;

const TYPES: Array<{ name: string; windows: WindowOptions<unknown> }> = [
  { name: 'tumbling', windows: { type: 'tumbling', sizeMs: 10_000 } },
  { name: 'sliding', windows: { type: 'sliding', sizeMs: 10_000, slideMs: 5_000 } },
  { name: 'session', windows: { type: 'session', gapMs: 3_000 } },
];

interface Event {
  readonly key: string;
  readonly partition: number;
  readonly eventTimeMs: number;
  readonly amount: number;
}

/**
 * The stream, deterministic: per key, event times mostly rising ~1 s apart with jitter inside
 * maxOutOfOrderness, one in 25 a few seconds behind (late but allowed), one in 60 far behind
 * (too late: dead-lettered). Then one far-future event per partition.
 */
function stream(): Event[] {
  let seed = 17;
  const rnd = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const out: Event[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const k = i % KEYS;
    const base = T0 + Math.floor(i / KEYS) * 1_000;
    let t = base + Math.floor(rnd() * 1_500);
    if (i % 25 === 7) t = base - 4_000;
    if (i % 60 === 11) t = base - 30_000;
    out.push({ key: `k${k}`, partition: k % PARTITIONS, eventTimeMs: t, amount: 1 + (i % 13) });
  }
  for (let p = 0; p < PARTITIONS; p++)
    out.push({ key: `zz${p}`, partition: p, eventTimeMs: T0 + (EVENTS / KEYS) * 1_000 + 3_600_000, amount: 0 });
  return out;
}

const client = newClient();
const events = stream();
let tenant = '';
const running: RunningWorker[] = [];

beforeAll(async () => {
  tenant = await createTenant('rwin');
  for (const t of TYPES) {
    for (const ns of [`${t.name}-one`, `${t.name}-many`]) {
      await admin.namespaces.create(`${tenant}/${ns}`);
      for (const name of ['events', 'state', 'owners']) await admin.topics.createPartitioned(topic(tenant, ns, name), PARTITIONS);
      for (const name of ['predictions', 'actions', 'review', 'dead-letter'])
        await admin.topics.createNonPartitioned(topic(tenant, ns, name));
      await deduplicateOutputs(tenant, ns);
    }
  }
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(running.map((w) => w.stop()));
  await client.close();
  if (tenant !== '') await deleteTenant(tenant);
});

async function replica(namespace: string, windows: WindowOptions<unknown>, replicaId: string): Promise<RunningWorker> {
  const w = await startWorker({
    serviceUrl: env.serviceUrl,
    adminUrl: env.adminUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    tenant,
    namespace,
    replicaId,
    guarantee: 'effectively-once',
    httpPort: -1,
    batchMaxRecords: 20,
    batchMaxWaitMs: 5,
    reviewDepth: false,
    handler: windowSumHandler(windows),
    log: log.child({ ns: namespace, replicaId }),
  });
  running.push(w);
  return w;
}

/** Produces events[from, to) to both namespaces of a type, each to its key's partition, in order. */
async function publish(c: PulsarClient, namespaces: readonly string[], from: number, to: number): Promise<void> {
  for (const ns of namespaces) {
    const producers = await Promise.all(
      Array.from({ length: PARTITIONS }, (_, p) =>
        c.createProducer({ topic: `${topic(tenant, ns, 'events')}-partition-${p}`, batching: false }),
      ),
    );
    for (const e of events.slice(from, to)) {
      const producer = producers[e.partition];
      await producer?.send({ key: e.key, payload: JSON.stringify({ card: e.key, amount: e.amount }), eventTimeMs: e.eventTimeMs });
    }
    await Promise.all(producers.map((p) => p.close()));
  }
}

const owned = (ws: readonly RunningWorker[]): number[] => ws.flatMap((w) => (w.worker as PartitionedWorker).owned).sort((a, b) => a - b);

/** Window results as comparable strings, sorted (each output once: duplicates would show). */
async function results(ns: string): Promise<string[]> {
  return (await readAll(client, topic(tenant, ns, 'predictions'))).map((m) => JSON.stringify(parse(m))).sort();
}

async function lateEvents(ns: string): Promise<string[]> {
  return (await readAll(client, topic(tenant, ns, 'dead-letter')))
    .map(parse)
    .map((r) => `${String(r['reason'])}@${String(r['eventTimeMs'])}`)
    .sort();
}

describe('windows with replicas (#17)', () => {
  it('tumbling, sliding and session results with replicas joining and leaving equal the one-replica run', async () => {
    const third = Math.floor(EVENTS / 3);
    const one = await Promise.all(TYPES.map((t) => replica(`${t.name}-one`, t.windows, 'solo')));
    let many = await Promise.all(
      TYPES.map(async (t) => [await replica(`${t.name}-many`, t.windows, 'r1'), await replica(`${t.name}-many`, t.windows, 'r2')]),
    );
    // Two replicas split the six partitions before the stream starts.
    for (const ws of many) await waitFor(() => owned(ws).length === PARTITIONS, 60_000, 'two replicas to own every partition');

    await Promise.all(TYPES.map((t) => publish(client, [`${t.name}-one`, `${t.name}-many`], 0, third)));
    await waitFor(() => one.every((w) => w.worker.processed >= third), 60_000, 'the reference runs to decide the first third');

    // A third replica joins: partitions move to it with their open windows.
    many = await Promise.all(TYPES.map(async (t, i) => [...(many[i] ?? []), await replica(`${t.name}-many`, t.windows, 'r3')]));
    for (const ws of many)
      await waitFor(
        () => ws.every((w) => (w.worker as PartitionedWorker).owned.length === 2),
        60_000,
        'three replicas with two partitions each',
      );
    await Promise.all(TYPES.map((t) => publish(client, [`${t.name}-one`, `${t.name}-many`], third, 2 * third)));

    // r1 leaves (drains, as on SIGTERM): the others take its partitions; then it comes back.
    await Promise.all(many.map((ws) => ws[0]?.stop()));
    many = many.map((ws) => ws.slice(1));
    for (const ws of many) await waitFor(() => owned(ws).length === PARTITIONS, 60_000, 'the two left to own every partition');
    await Promise.all(TYPES.map((t) => publish(client, [`${t.name}-one`, `${t.name}-many`], 2 * third, EVENTS)));
    many = await Promise.all(TYPES.map(async (t, i) => [...(many[i] ?? []), await replica(`${t.name}-many`, t.windows, 'r1')]));
    await Promise.all(TYPES.map((t) => publish(client, [`${t.name}-one`, `${t.name}-many`], EVENTS, events.length)));

    await waitFor(() => one.every((w) => w.worker.processed === events.length), 90_000, 'the reference runs to decide every event');
    for (const t of TYPES) {
      const want = await results(`${t.name}-one`);
      const wantLate = await lateEvents(`${t.name}-one`);
      // The stream was built to fire windows, late updates and late-event dead letters.
      expect(want.length, t.name).toBeGreaterThan(KEYS);
      expect(
        want.some((r) => r.includes('"trigger":"late"') || r.includes('"replaces"')),
        t.name,
      ).toBe(true);
      expect(wantLate.length, t.name).toBeGreaterThan(0);
      // Outputs of the replicas run are committed when their inputs are: wait for all of them.
      let got: string[] = [];
      await waitForAsync(
        async () => {
          got = await results(`${t.name}-many`);
          return got.length >= want.length;
        },
        90_000,
        `${t.name}: the replicas run to emit ${want.length} window results`,
      ).catch((err: unknown) => {
        const missing = want.filter((w) => !got.includes(w)).map((w) => (JSON.parse(w) as { key: string }).key);
        const extra = got.filter((g) => !want.includes(g)).length;
        const byPartition = new Map<number, number>();
        for (const k of missing) {
          // k<i> is on partition i mod PARTITIONS, zz<p> on partition p (see stream()).
          const p = Number(k.replace(/\D/g, '')) % PARTITIONS;
          byPartition.set(p, (byPartition.get(p) ?? 0) + 1);
        }
        throw new Error(
          `${String(err)} (has ${got.length}; missing by partition ${JSON.stringify([...byPartition])}; ${extra} not in the reference; owners ${many
            .map((ws) => ws.map((w) => `[${(w.worker as PartitionedWorker).owned.join(',')}]:${w.worker.state}`).join(' '))
            .join(' | ')})`,
        );
      });
      expect({ type: t.name, results: got }).toEqual({ type: t.name, results: want });
      expect({ type: t.name, late: await lateEvents(`${t.name}-many`) }).toEqual({ type: t.name, late: wantLate });
    }
  }, 600_000);
});

/**
 * #26: the priority lane. Priority events go to a topic of their own (`priorityTopic`); the
 * worker takes them before any ordinary event, so a backlog of ordinary events (on the broker
 * and in the worker's receive queue) is never in front of them. A real worker on a real broker:
 * a backlog of ordinary events is produced first, priority events once the worker is busy with
 * it; the priority events must be decided while most of the backlog is still waiting, and every
 * event exactly once, each lane in its order per key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusMetrics, silentLogger } from '../../functions/control-plane.ts';
import type { ProcessFn } from '../../functions/contract.ts';
import { jsonSchema, type PulsarClient } from '../../functions/pulsar/index.ts';
import {
  compileWorkerOptions,
  Ingress,
  NamespaceWorker,
  PulsarWorkerIo,
  schemaDecoder,
  type WorkerOptions,
} from '../../functions/runtime/index.ts';
import { admin, createNamespace, createTenant, deleteTenant, newClient, parse, readAll, topic, waitFor } from './worker-support.ts';

interface Payment {
  card: string;
  seq: number;
  lane: 'priority' | 'normal';
}

const schema = jsonSchema<Payment>({
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'card', type: 'string' },
    { name: 'seq', type: 'int' },
    { name: 'lane', type: 'string' },
  ],
});

const CARDS = 20;
const BACKLOG = 3_000;
const PRIORITY = 20;
/** Priority events are produced once this many ordinary ones were decided. */
const BUSY_AT = 300;

/** About 1 ms of work a record, so the backlog takes seconds to decide. */
const decide: ProcessFn<Payment> = (record, ctx) => {
  const until = performance.now() + 1;
  while (performance.now() < until);
  ctx.emit({ card: record.value.card, seq: record.value.seq, lane: record.value.lane });
};

describe('the priority lane (#26)', () => {
  let tenant: string;
  let client: PulsarClient;

  beforeAll(async () => {
    tenant = await createTenant('bl-lane');
    await createNamespace(tenant, 'ns');
    await admin.topics.createNonPartitioned(topic(tenant, 'ns', 'events-priority'));
    client = newClient();
  });

  afterAll(async () => {
    await client?.close();
    if (tenant !== undefined) await deleteTenant(tenant);
  });

  it(
    'decides priority events ahead of a backlog of ordinary ones, every event once and in order per key and lane',
    { timeout: 180_000 },
    async () => {
      const normal = await client.createProducer({ topic: topic(tenant, 'ns', 'events'), batchingMaxMessages: 100, batchingMaxDelayMs: 5 });
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < BACKLOG; i++) {
        const card = `card-${i % CARDS}`;
        sends.push(normal.send({ key: card, payload: schema.encode({ card, seq: Math.floor(i / CARDS) + 1, lane: 'normal' }) }));
      }
      await Promise.all(sends);
      await normal.close();

      const options: WorkerOptions = { tenant, namespace: 'ns', batchMaxRecords: 50, priorityTopic: 'events-priority', httpPort: -1 };
      const io = await PulsarWorkerIo.create(compileWorkerOptions(options), { client, log: silentLogger, stats: admin.topics });
      const worker = NamespaceWorker.create<Payment>(options, {
        io,
        ingress: new Ingress({ decode: schemaDecoder(schema) }),
        handler: { process: decide },
        metrics: new PrometheusMetrics(),
        log: silentLogger,
      });
      await worker.start();
      let decidedWhenSent: number;
      try {
        await waitFor(() => worker.processed >= BUSY_AT, 60_000, `${BUSY_AT} ordinary events decided`);
        decidedWhenSent = worker.processed;
        // The worker is busy with the backlog: most of it still waits (on the broker, in its queue).
        expect(decidedWhenSent).toBeLessThan(BACKLOG / 2);
        const urgent = await client.createProducer({ topic: topic(tenant, 'ns', 'events-priority') });
        await Promise.all(
          Array.from({ length: PRIORITY }, (_, i) => {
            const card = `card-${i % CARDS}`;
            return urgent.send({ key: card, payload: schema.encode({ card, seq: i + 1, lane: 'priority' }) });
          }),
        );
        await urgent.close();
        await waitFor(() => worker.processed >= BACKLOG + PRIORITY, 120_000, `${BACKLOG + PRIORITY} events decided`);
      } finally {
        await worker.drain();
      }
      expect(worker.processed).toBe(BACKLOG + PRIORITY);

      const decided = (await readAll(client, topic(tenant, 'ns', 'predictions'))).map(parse) as unknown as Payment[];
      expect(decided).toHaveLength(BACKLOG + PRIORITY);
      // Decisions are committed in order: the last priority decision's position says how many
      // ordinary events were decided before every priority event was. Without the lane it would be
      // all of them (the priority events were produced after the whole backlog).
      const lastPriority = decided.map((d) => d.lane).lastIndexOf('priority');
      const ordinaryBefore = decided.slice(0, lastPriority).filter((d) => d.lane === 'normal').length;
      expect(ordinaryBefore).toBeGreaterThanOrEqual(decidedWhenSent);
      expect(ordinaryBefore).toBeLessThan(BACKLOG - 1_000);
      // Each lane: every event once, in order per key.
      for (const lane of ['normal', 'priority'] as const) {
        for (let c = 0; c < CARDS; c++) {
          const seqs = decided.filter((d) => d.lane === lane && d.card === `card-${c}`).map((d) => d.seq);
          const n = lane === 'normal' ? BACKLOG / CARDS : PRIORITY / CARDS;
          expect(seqs).toEqual(Array.from({ length: n }, (_, i) => (lane === 'normal' ? i + 1 : c + 1 + i * CARDS)));
        }
      }
    },
  );
});

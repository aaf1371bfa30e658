/**
 * #26: after an aborted commit the worker holds newer inputs until the handed-back batch is
 * redelivered (per-key order), and holds at most `maxInFlight` of them: past it, newer inputs go
 * back to the broker undecided and their keys stay blocked until they return. A real worker on a
 * real broker (Key_Shared, batched input); the commit failure and a slow redelivery of the
 * handed-back batch are injected around the real PulsarWorkerIo. Every event must be decided
 * exactly once, each key in the order it was produced.
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
  type InputMessage,
  type OutputMessage,
  type WorkerIo,
  type WorkerOptions,
} from '../../functions/runtime/index.ts';
import { createNamespace, createTenant, deleteTenant, newClient, parse, readAll, topic, waitFor } from './worker-support.ts';

interface Step {
  card: string;
  seq: number;
}

const schema = jsonSchema<Step>({
  type: 'record',
  name: 'Step',
  fields: [
    { name: 'card', type: 'string' },
    { name: 'seq', type: 'int' },
  ],
});

const CARDS = 6;
const PER_CARD = 100;
const EVENTS = CARDS * PER_CARD;

/** Every output says which step it decided and the last step the key had seen before it. */
const steps: ProcessFn<Step> = (record, ctx) => {
  const key = record.value.card;
  const before = (ctx.state.get(key) as number | undefined) ?? 0;
  ctx.state.put(key, record.value.seq);
  ctx.emit({ card: key, seq: record.value.seq, before });
};

/**
 * The real io, with one commit failing as an abort would (nothing of it happened) and the
 * redelivery of that batch's inputs slowed down, so newer inputs pile up behind it.
 */
class SlowHandBackIo implements WorkerIo {
  readonly #inner: WorkerIo;
  #commits = 0;
  #aborted: Set<string> | undefined;
  #abortedAt = 0;
  releasedPastBound = 0;

  constructor(inner: WorkerIo) {
    this.#inner = inner;
  }

  readChangelog: WorkerIo['readChangelog'] = () => this.#inner.readChangelog();
  receive: WorkerIo['receive'] = (max, first, fill) => this.#inner.receive(max, first, fill);
  ackCommitted: WorkerIo['ackCommitted'] = (inputs) => this.#inner.ackCommitted(inputs);
  backlog: WorkerIo['backlog'] = () => this.#inner.backlog();
  pause: WorkerIo['pause'] = () => this.#inner.pause();
  resume: WorkerIo['resume'] = () => this.#inner.resume();
  close: WorkerIo['close'] = () => this.#inner.close();

  async commit(outputs: readonly OutputMessage[], inputs: readonly InputMessage[]): Promise<void> {
    if (++this.#commits === 3) throw new Error('injected abort');
    return this.#inner.commit(outputs, inputs);
  }

  release(inputs: readonly InputMessage[]): void {
    if (this.#aborted === undefined) {
      // The aborted batch: asking for it again (the worker re-asks each second) is lost for 3 s,
      // then it is redelivered: a slow abort.
      this.#aborted = new Set(inputs.map((m) => m.messageId));
      this.#abortedAt = Date.now();
      setTimeout(() => this.#inner.release(inputs), 3_000);
      return;
    }
    const aborted = this.#aborted;
    const late = inputs.filter((m) => aborted.has(m.messageId));
    const others = inputs.filter((m) => !aborted.has(m.messageId));
    if (late.length > 0 && Date.now() - this.#abortedAt >= 3_000) this.#inner.release(late);
    if (others.length > 0) {
      this.releasedPastBound += others.length;
      this.#inner.release(others);
    }
  }
}

describe('held inputs are bounded by maxInFlight (#26)', () => {
  let tenant: string;
  let client: PulsarClient;

  beforeAll(async () => {
    tenant = await createTenant('bl-hold');
    await createNamespace(tenant, 'ns');
    client = newClient();
  });

  afterAll(async () => {
    await client?.close();
    if (tenant !== undefined) await deleteTenant(tenant);
  });

  it(
    'an aborted batch redelivered late: at most maxInFlight held, the rest handed back, every event once and in order per key',
    { timeout: 180_000 },
    async () => {
      const producer = await client.createProducer({
        topic: topic(tenant, 'ns', 'events'),
        batchingMaxMessages: 50,
        batchingMaxDelayMs: 5,
      });
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < EVENTS; i++) {
        const card = `card-${i % CARDS}`;
        sends.push(producer.send({ key: card, payload: schema.encode({ card, seq: Math.floor(i / CARDS) + 1 }) }));
      }
      await Promise.all(sends);
      await producer.close();

      const options: WorkerOptions = { tenant, namespace: 'ns', batchMaxRecords: 10, maxInFlight: 20, httpPort: -1 };
      const inner = await PulsarWorkerIo.create(compileWorkerOptions(options), { client, log: silentLogger });
      const io = new SlowHandBackIo(inner);
      const metrics = new PrometheusMetrics();
      const worker = NamespaceWorker.create<Step>(options, {
        io,
        ingress: new Ingress({ decode: schemaDecoder(schema) }),
        handler: { process: steps },
        metrics,
        log: silentLogger,
      });
      await worker.start();
      try {
        await waitFor(() => worker.processed >= EVENTS, 120_000, `${EVENTS} events decided`);
      } finally {
        await worker.drain();
      }
      expect(worker.processed).toBe(EVENTS);
      // The hold was full: newer inputs went back to the broker instead of piling up in memory.
      expect(io.releasedPastBound).toBeGreaterThan(0);
      expect(await metrics.render()).toMatch(/beamline_inputs_handed_back_total\{[^}]*\} [1-9]/);

      const decided = (await readAll(client, topic(tenant, 'ns', 'predictions'))).map(parse) as Array<{
        card: string;
        seq: number;
        before: number;
      }>;
      expect(decided).toHaveLength(EVENTS);
      for (let c = 0; c < CARDS; c++) {
        const mine = decided.filter((d) => d.card === `card-${c}`);
        // In order, each exactly once, each after the one before it.
        expect(mine.map((d) => d.seq)).toEqual(Array.from({ length: PER_CARD }, (_, i) => i + 1));
        expect(mine.map((d) => d.before)).toEqual(Array.from({ length: PER_CARD }, (_, i) => i));
      }
    },
  );
});

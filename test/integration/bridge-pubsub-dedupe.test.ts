/**
 * The Pub/Sub sink's two recovery modes (#24), on deterministic replays.
 *
 * Without the ledger (`--no-ledger`, at least once) the de-duplication contract (bridge/dedupe.ts)
 * is checked: every message is published, the sink is killed once Pulsar holds every ack, the
 * sink's Pulsar subscription is rewound to the start (exactly what a crash between "Pub/Sub
 * accepted" and "Pulsar acked" does to a tail of the stream, here to all of it), and the sink is
 * started again, so every message reaches Pub/Sub twice. Then: both copies carry the same
 * idempotency key, data and ordering key; Pub/Sub gave them different message ids (it cannot
 * de-duplicate them itself); keys differ between messages; and a subscriber filtering with
 * `PubsubDeduplicator` handles every message exactly once, in order per key.
 *
 * With the ledger (the default) the same lost acks publish nothing again: a first sink publishes
 * everything but never settles its ledger copies (the state a crash right after each publish
 * leaves), the Pulsar acks are lost the same way, and the next `beamline bridge pubsub-sink` reads
 * the copies back, acks their Pulsar messages and publishes only what is new.
 */
import type { ChildProcess } from 'node:child_process';
import type { Message as PubsubMessage } from '@google-cloud/pubsub';
import { afterAll, describe, expect, it } from 'vitest';
import type { PulsarClient } from '../../functions/control-plane.ts';
import {
  IDEMPOTENCY_KEY_ATTRIBUTE,
  PubsubDeduplicator,
  PubsubLedger,
  PubsubSink,
  compilePubsubSinkOptions,
  type SinkLedger,
} from '../../bridge/index.ts';
import { kill, lastRunningLine, PROJECT, sleep, startBridge, startFake, stopFake, type Fake } from './bridge-support.ts';
import { admin, createNamespace, createTenant, deleteTenant, env, newClient, topic } from './worker-support.ts';

const MESSAGES = 600;
const KEYS = 12;
const SINK_SUBSCRIPTION = 'beamline-bridge-pubsub-sink';
const log = (line: string): void => console.log(`[bridge-sink-dedupe] ${line}`);

interface Arrival {
  n: number;
  key: string;
  seq: number;
  data: string;
  orderingKey: string;
  idempotencyKey: string;
  pubsubId: string;
  attributes: Record<string, string>;
}

/** Waits until the sink's Pulsar subscription on `from` has no backlog (every ack landed). */
async function noBacklog(from: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const backlog = (await admin.topics.getStats(from)).subscriptions?.[SINK_SUBSCRIPTION]?.msgBacklog;
    if (backlog === 0) return;
    if (Date.now() > until) throw new Error(`the sink's subscription still has a backlog of ${String(backlog)} after 60 s`);
    await sleep(200);
  }
}

/** Every Pulsar ack of the sink lost: its subscription rewound to the start. */
async function rewindSink(tenant: string): Promise<void> {
  const res = await fetch(`${env.adminUrl}/admin/v2/persistent/${tenant}/ns/predictions/subscription/${SINK_SUBSCRIPTION}/resetcursor/0`, {
    method: 'POST',
    ...(env.token === undefined ? {} : { headers: { authorization: `Bearer ${env.token}` } }),
  });
  expect(res.status, await res.text()).toBe(204);
}

describe('pubsub-sink de-duplication contract', () => {
  let tenant = '';
  let fake: Fake | undefined;
  let client: PulsarClient | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child !== undefined) await kill(child);
    await client?.close();
    await stopFake(fake);
    if (tenant !== '') await deleteTenant(tenant);
  });

  it(
    'every copy of a message carries the same idempotency key and data; the deduplicated stream is exactly once, in order per key',
    { timeout: 240_000 },
    async () => {
      tenant = await createTenant('bdedupe');
      await createNamespace(tenant, 'ns');
      client = newClient();
      fake = await startFake();
      const [t] = await fake.pubsub.createTopic('decisions');
      await t.createSubscription('decisions-check', { enableMessageOrdering: true, ackDeadlineSeconds: 30 });
      const arrivals: Arrival[] = [];
      const check = fake.pubsub.subscription('decisions-check', { flowControl: { maxMessages: 1000 } });
      check.on('message', (m: PubsubMessage) => {
        const data = m.data.toString('utf8');
        const v = JSON.parse(data) as { n: number; key: string; seq: number };
        arrivals.push({
          ...v,
          data,
          orderingKey: m.orderingKey ?? '',
          idempotencyKey: m.attributes[IDEMPOTENCY_KEY_ATTRIBUTE] ?? '',
          pubsubId: m.id,
          attributes: { ...m.attributes },
        });
        m.ack();
      });
      check.on('error', (err) => log(`check subscriber error: ${String(err)}`));
      const waitArrivals = async (n: number, what: string): Promise<void> => {
        const until = Date.now() + 120_000;
        while (arrivals.length < n) {
          if (Date.now() > until) throw new Error(`only ${arrivals.length} of ${n} arrivals (${what}) within 120 s`);
          await sleep(50);
        }
      };

      const from = topic(tenant, 'ns', 'predictions');
      const producer = await client.createProducer({ topic: from, batchingMaxDelayMs: 5 });
      const sends: Promise<unknown>[] = [];
      for (let n = 0; n < MESSAGES; n++) {
        const key = `trip-${n % KEYS}`;
        sends.push(
          producer.send({ key, payload: JSON.stringify({ n, key, seq: Math.floor(n / KEYS) }), properties: { decision: 'approve' } }),
        );
      }
      await Promise.all(sends);
      await producer.close();

      const args = ['--from', `${tenant}/ns/predictions`, '--topic', `projects/${PROJECT}/topics/decisions`, '--no-ledger'];
      child = await startBridge(fake, 'pubsub-sink', args);
      await waitArrivals(MESSAGES, 'first pass');
      // Every publish acked in Pulsar: the sink's subscription has no backlog left.
      await noBacklog(from);
      await kill(child);
      child = undefined;

      // The lost-ack replay, for the whole stream: rewind the sink's subscription to the start.
      await rewindSink(tenant);
      child = await startBridge(fake, 'pubsub-sink', args);
      await waitArrivals(2 * MESSAGES, 'replay');
      await sleep(2000); // nothing more comes
      await kill(child, 'SIGTERM');
      child = undefined;
      await check.close();
      log(`${arrivals.length} arrivals for ${MESSAGES} messages`);

      expect(arrivals).toHaveLength(2 * MESSAGES);
      const byN = new Map<number, Arrival[]>();
      for (const a of arrivals) byN.set(a.n, [...(byN.get(a.n) ?? []), a]);
      expect(byN.size).toBe(MESSAGES);
      const keys = new Set<string>();
      for (const [n, copies] of byN) {
        expect(copies, `message ${n}`).toHaveLength(2);
        const [a, b] = copies as [Arrival, Arrival];
        // Same key, data, ordering key and attributes on both copies; Pub/Sub saw two messages.
        expect(a.idempotencyKey).toMatch(new RegExp(`^persistent://${tenant}/ns/predictions/\\d+:\\d+`));
        expect(b.idempotencyKey).toBe(a.idempotencyKey);
        expect(b.data).toBe(a.data);
        expect(b.orderingKey).toBe(a.orderingKey);
        expect(b.attributes).toEqual(a.attributes);
        expect(b.pubsubId).not.toBe(a.pubsubId);
        keys.add(a.idempotencyKey);
      }
      // Different messages, different keys.
      expect(keys.size).toBe(MESSAGES);

      // The subscriber side of the contract: handle a key once.
      const dedupe = new PubsubDeduplicator();
      const handled = arrivals.filter((a) => dedupe.first(a.attributes));
      expect(handled).toHaveLength(MESSAGES);
      expect(new Set(handled.map((a) => a.n)).size).toBe(MESSAGES);
      expect(dedupe.stats).toMatchObject({ duplicates: MESSAGES, unkeyed: 0 });
      for (let k = 0; k < KEYS; k++) {
        const seqs = handled.filter((a) => a.key === `trip-${k}`).map((a) => a.seq);
        expect(seqs).toEqual(Array.from({ length: MESSAGES / KEYS }, (_, i) => i));
      }
    },
  );
});

describe('pubsub-sink ledger (exactly once)', () => {
  let tenant = '';
  let fake: Fake | undefined;
  let client: PulsarClient | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child !== undefined) await kill(child);
    await client?.close();
    await stopFake(fake);
    if (tenant !== '') await deleteTenant(tenant);
  });

  it(
    'reads back the copies a crash left unsettled: lost Pulsar acks publish nothing again; new messages go out once',
    { timeout: 240_000 },
    async () => {
      tenant = await createTenant('bledger');
      await createNamespace(tenant, 'ns');
      client = newClient();
      fake = await startFake();
      const [t] = await fake.pubsub.createTopic('decisions');
      await t.createSubscription('decisions-check', { enableMessageOrdering: true, ackDeadlineSeconds: 30 });
      const arrivals: { n: number; key: string; seq: number; pubsubId: string }[] = [];
      const check = fake.pubsub.subscription('decisions-check', { flowControl: { maxMessages: 1000 } });
      check.on('message', (m: PubsubMessage) => {
        arrivals.push({ ...(JSON.parse(m.data.toString('utf8')) as { n: number; key: string; seq: number }), pubsubId: m.id });
        m.ack();
      });
      check.on('error', (err) => log(`check subscriber error: ${String(err)}`));
      const waitArrivals = async (n: number, what: string): Promise<void> => {
        const until = Date.now() + 120_000;
        while (arrivals.length < n) {
          if (Date.now() > until) throw new Error(`only ${arrivals.length} of ${n} arrivals (${what}) within 120 s`);
          await sleep(50);
        }
      };
      const from = topic(tenant, 'ns', 'predictions');
      const producer = await client.createProducer({ topic: from, batchingMaxDelayMs: 5 });
      const produce = async (first: number, count: number): Promise<void> => {
        const sends: Promise<unknown>[] = [];
        for (let n = first; n < first + count; n++) {
          const key = `trip-${n % KEYS}`;
          sends.push(
            producer.send({ key, payload: JSON.stringify({ n, key, seq: Math.floor(n / KEYS) }), properties: { decision: 'approve' } }),
          );
        }
        await Promise.all(sends);
      };
      await produce(0, MESSAGES);

      // A first sink, in this process, publishes everything but never settles a ledger copy: the
      // state a crash right after each publish (before its Pulsar ack receipt) would leave.
      const options = { from: `${tenant}/ns/predictions`, topic: `projects/${PROJECT}/topics/decisions` };
      const ledgerName = compilePubsubSinkOptions(options).ledger!;
      const real = new PubsubLedger(fake.pubsub, ledgerName, `projects/${PROJECT}/topics/decisions`);
      const unsettling: SinkLedger = {
        path: real.path,
        open: () => real.open(),
        pull: async () => (await sleep(100), []),
        ack: async () => undefined,
      };
      const first = new PubsubSink(options, { client, admin, pubsub: fake.pubsub, ledger: unsettling });
      await first.start();
      await waitArrivals(MESSAGES, 'first sink');
      await noBacklog(from);
      await first.close();
      // ... and its Pulsar acks are lost.
      await rewindSink(tenant);

      // The next sink reads the copies back, acks their Pulsar messages, and publishes nothing again.
      child = await startBridge(fake, 'pubsub-sink', ['--from', options.from, '--topic', options.topic]);
      const running = lastRunningLine(child);
      log(running);
      expect(running).toContain(`ledger ${ledgerName.path}, recovered ${MESSAGES} ids`);
      await noBacklog(from);
      // New messages after the recovery go out once each.
      await produce(MESSAGES, 60);
      await waitArrivals(MESSAGES + 60, 'after the restart');
      await noBacklog(from);
      await sleep(2000); // nothing more comes
      await kill(child, 'SIGTERM');
      child = undefined;
      await producer.close();
      await check.close();
      log(`${arrivals.length} arrivals for ${MESSAGES + 60} messages`);

      expect(arrivals).toHaveLength(MESSAGES + 60);
      expect(new Set(arrivals.map((a) => a.n)).size).toBe(MESSAGES + 60);
      for (let k = 0; k < KEYS; k++) {
        const seqs = arrivals.filter((a) => a.key === `trip-${k}`).map((a) => a.seq);
        expect(seqs).toEqual(Array.from({ length: (MESSAGES + 60) / KEYS }, (_, i) => i));
      }
      // The ledger is settled: nothing left in it.
      expect(await real.pull(1000, false)).toEqual([]);
    },
  );
});

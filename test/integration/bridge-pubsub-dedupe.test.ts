/**
 * The Pub/Sub sink's de-duplication contract (#24). Pub/Sub publishing has no idempotency key, so
 * the sink is at least once; what it promises instead (bridge/dedupe.ts) is checked here on a
 * deterministic replay: every message is published, the sink is killed once Pulsar holds every
 * ack, the sink's Pulsar subscription is rewound to the start (exactly what a crash between "Pub/Sub
 * accepted" and "Pulsar acked" does to a tail of the stream, here to all of it), and the sink is
 * started again, so every message reaches Pub/Sub twice. Then: both copies carry the same
 * idempotency key, data and ordering key; Pub/Sub gave them different message ids (it cannot
 * de-duplicate them itself); keys differ between messages; and a subscriber filtering with
 * `PubsubDeduplicator` handles every message exactly once, in order per key.
 */
import type { ChildProcess } from 'node:child_process';
import type { Message as PubsubMessage } from '@google-cloud/pubsub';
import { afterAll, describe, expect, it } from 'vitest';
import type { PulsarClient } from '../../functions/control-plane.ts';
import { IDEMPOTENCY_KEY_ATTRIBUTE, PubsubDeduplicator } from '../../bridge/index.ts';
import { kill, PROJECT, sleep, startBridge, startFake, stopFake, type Fake } from './bridge-support.ts';
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

      const args = ['--from', `${tenant}/ns/predictions`, '--topic', `projects/${PROJECT}/topics/decisions`];
      child = await startBridge(fake, 'pubsub-sink', args);
      await waitArrivals(MESSAGES, 'first pass');
      // Every publish acked in Pulsar: the sink's subscription has no backlog left.
      const acked = Date.now() + 60_000;
      for (;;) {
        const backlog = (await admin.topics.getStats(from)).subscriptions?.[SINK_SUBSCRIPTION]?.msgBacklog;
        if (backlog === 0) break;
        if (Date.now() > acked) throw new Error(`the sink's subscription still has a backlog of ${String(backlog)} after 60 s`);
        await sleep(200);
      }
      await kill(child);
      child = undefined;

      // The lost-ack replay, for the whole stream: rewind the sink's subscription to the start.
      const res = await fetch(
        `${env.adminUrl}/admin/v2/persistent/${tenant}/ns/predictions/subscription/${SINK_SUBSCRIPTION}/resetcursor/0`,
        {
          method: 'POST',
          ...(env.token === undefined ? {} : { headers: { authorization: `Bearer ${env.token}` } }),
        },
      );
      expect(res.status, await res.text()).toBe(204);
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

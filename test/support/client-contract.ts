/**
 * The client contract: what every implementation behind PulsarClientApi must do against a real
 * broker. Each implementation runs the same cases; a feature an implementation declares it lacks
 * (`capabilities`) must instead fail with BL_PULSAR_UNSUPPORTED_FEATURE, never half-work.
 * Nothing here is skipped: every case asserts one of the two outcomes.
 */
import { describe, expect, it } from 'vitest';
import { keyPartition, MessageId, type Message, type PulsarClientApi, type ReaderApi } from '@beamline/pulsar';
import { createPartitionedTopic, subscriptions, topicName } from '../integration/client-support.ts';
import { receiveN } from './receive.ts';

export interface ContractTarget {
  /** Shown in test names. */
  name: string;
  /** A client on the plain test broker. */
  open(): Promise<PulsarClientApi>;
  /** A client on the token-auth broker with the given token (undefined = none). */
  openAuth(token: string | undefined): Promise<PulsarClientApi>;
  /** A valid superuser token for the auth broker. */
  authToken: string;
}

async function readN(r: ReaderApi, n: number): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < n; i++) out.push(await r.readNext(10_000));
  return out;
}

async function withClient<T>(open: () => Promise<PulsarClientApi>, fn: (c: PulsarClientApi) => Promise<T>): Promise<T> {
  const c = await open();
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

export function defineClientContract(t: ContractTarget): void {
  describe(`client contract: ${t.name}`, () => {
    it('round-trips payload, key, properties and event time, and send() returns the id the consumer sees', async () => {
      await withClient(t.open, async (client) => {
        const topic = topicName('contract-rt');
        const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
        const producer = await client.createProducer({ topic, batching: false });
        const before = Date.now();
        const id = await producer.send({
          payload: Buffer.from([0, 1, 2, 255]),
          key: 'user-1',
          properties: { a: '1', b: 'two' },
          eventTimeMs: 1_700_000_000_000,
        });
        const m = await consumer.receive(10_000);
        expect(m.id.equals(id)).toBe(true);
        expect(typeof m.id.ledgerId).toBe('bigint');
        expect([...m.payload]).toEqual([0, 1, 2, 255]);
        expect(m.key).toBe('user-1');
        expect(m.properties).toEqual({ a: '1', b: 'two' });
        expect(m.eventTimeMs).toBe(1_700_000_000_000);
        expect(m.publishTimeMs).toBeGreaterThanOrEqual(before - 1000);
        expect(m.topic).toBe(topic);
        expect(m.redeliveryCount).toBe(0);
        await consumer.ack(m, {});
        const plain = await producer.send('no key');
        const m2 = await consumer.receive(10_000);
        expect(m2.id.equals(plain)).toBe(true);
        expect(m2.key).toBeUndefined();
        expect(m2.eventTimeMs).toBeUndefined();
        consumer.ack(m2);
        await producer.close();
        await consumer.close();
      });
    });

    for (const compression of ['lz4', 'zstd'] as const) {
      it(`delivers a ${compression}-compressed batch in order`, async () => {
        await withClient(t.open, async (client) => {
          const topic = topicName(`contract-${compression}`);
          const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
          const producer = await client.createProducer({ topic, compression, batchingMaxMessages: 40, batchingMaxDelayMs: 50 });
          const payloads = Array.from({ length: 40 }, (_, i) => `message ${i} `.repeat(10));
          const ids = await Promise.all(payloads.map((p) => producer.send(p)));
          expect(ids[39]?.batchSize).toBeGreaterThan(1);
          const got = await receiveN(consumer, 40);
          expect(got.map((m) => m.payload.toString())).toEqual(payloads);
          for (const m of got) consumer.ack(m);
          await producer.close();
          await consumer.close();
        });
      });
    }

    it('redelivers a negatively acknowledged message, then sends it to the dead-letter topic', async () => {
      await withClient(t.open, async (client) => {
        const topic = topicName('contract-nack');
        const dlqTopic = `${topic}-dlq`;
        const dlq = await client.subscribe({ topic: dlqTopic, subscription: 'audit', initialPosition: 'Earliest' });
        const consumer = await client.subscribe({
          topic,
          subscription: 's',
          subscriptionType: 'Shared',
          initialPosition: 'Earliest',
          negativeAckRedeliveryDelayMs: 200,
          deadLetterPolicy: { maxRedeliverCount: 1, deadLetterTopic: dlqTopic },
        });
        const producer = await client.createProducer({ topic, batching: false });
        await producer.send({ payload: 'poison', key: 'k' });
        const first = await consumer.receive(10_000);
        expect(first.redeliveryCount).toBe(0);
        consumer.nack(first);
        const second = await consumer.receive(10_000);
        expect(second.payload.toString()).toBe('poison');
        expect(second.redeliveryCount).toBe(1);
        consumer.nack(second);
        const dead = await dlq.receive(15_000);
        expect(dead.payload.toString()).toBe('poison');
        dlq.ack(dead);
        await expect(consumer.receive(1500)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
        await producer.close();
        await consumer.close();
        await dlq.close();
      });
    });

    it('acks cumulatively on Exclusive (nothing comes back) and refuses it on Shared', async () => {
      await withClient(t.open, async (client) => {
        const topic = topicName('contract-cumulative');
        const producer = await client.createProducer({ topic, batching: false });
        const c1 = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
        for (let i = 0; i < 5; i++) await producer.send(`m${i}`);
        const got = await receiveN(c1, 5);
        c1.ackCumulative(got[2] as Message);
        await c1.ack(got[4] as Message, {});
        // Give the fire-and-forget cumulative ack time to reach the broker before reconnecting.
        await new Promise((r) => setTimeout(r, 500));
        await c1.close();
        const c2 = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
        const again = await c2.receive(10_000);
        expect(again.payload.toString()).toBe('m3');
        await expect(c2.receive(1500)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
        await c2.close();
        const shared = await client.subscribe({ topic, subscription: 'sh', subscriptionType: 'Shared', initialPosition: 'Earliest' });
        const m = await shared.receive(10_000);
        expect(() => shared.ackCumulative(m)).toThrow(expect.objectContaining({ code: 'BL_PULSAR_CUMULATIVE_ACK_NOT_ALLOWED' }));
        await shared.close();
        await producer.close();
      });
    });

    it('routes keys on a partitioned topic like the Java client and reports the partition count', async () => {
      await withClient(t.open, async (client) => {
        const topic = topicName('contract-part');
        await createPartitionedTopic(topic, 3);
        expect(await client.getPartitions(topic)).toBe(3);
        const plain = topicName('contract-plain');
        const p0 = await client.createProducer({ topic: plain });
        await p0.close();
        expect(await client.getPartitions(plain)).toBe(0);
        const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
        const producer = await client.createProducer({ topic, batching: false });
        const keys = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
        for (const k of keys) await producer.send({ payload: k, key: k });
        const got = await receiveN(consumer, keys.length);
        for (const m of got) {
          expect(m.topic).toBe(`${topic}-partition-${keyPartition(m.key as string, 3, 'java-string')}`);
          expect(m.id.partition).toBe(keyPartition(m.key as string, 3, 'java-string'));
          consumer.ack(m);
        }
        await producer.close();
        await consumer.close();
      });
    });

    it('reads from earliest and from an id, answers hasMessageAvailable, and seeks by id and by time', async () => {
      await withClient(t.open, async (client) => {
        const topic = topicName('contract-reader');
        const producer = await client.createProducer({ topic, batching: false });
        const ids: MessageId[] = [];
        for (let i = 0; i < 6; i++) ids.push(await producer.send(`r${i}`));
        const reader = await client.createReader({ topic, startMessageId: 'earliest' });
        expect(await reader.hasMessageAvailable()).toBe(true);
        const all = await readN(reader, 6);
        expect(all.map((m) => m.payload.toString())).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
        expect(await reader.hasMessageAvailable()).toBe(false);
        await reader.seek(ids[1] as MessageId);
        const afterSeek = await reader.readNext(10_000);
        // Seek by id is inclusive in both clients (SEEK positions the cursor at the id).
        expect(['r1', 'r2']).toContain(afterSeek.payload.toString());
        await reader.close();
        const fromId = await client.createReader({ topic, startMessageId: ids[3] as MessageId });
        expect((await fromId.readNext(10_000)).payload.toString()).toBe('r4');
        await fromId.close();
        const byTime = await client.createReader({
          topic,
          startMessageId: 'earliest',
          startPublishTimeMs: all[5]?.publishTimeMs as number,
        });
        expect((await byTime.readNext(10_000)).payload.toString()).toBe('r5');
        await byTime.close();
        await producer.close();
      });
    });

    it('rewinds a subscription with seek(earliest id)', async () => {
      await withClient(t.open, async (client) => {
        const topic = topicName('contract-seek');
        const producer = await client.createProducer({ topic, batching: false });
        const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
        for (let i = 0; i < 3; i++) await producer.send(`s${i}`);
        for (const m of await receiveN(consumer, 3)) await consumer.ack(m, {});
        await consumer.seek(MessageId.earliest);
        const again = await receiveN(consumer, 3);
        expect(again.map((m) => m.payload.toString())).toEqual(['s0', 's1', 's2']);
        await producer.close();
        await consumer.close();
      });
    });

    it('times out an empty receive, holds messages while paused, and ends iteration on close', async () => {
      await withClient(t.open, async (client) => {
        const topic = topicName('contract-flow');
        const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
        const started = Date.now();
        await expect(consumer.receive(500)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
        expect(Date.now() - started).toBeLessThan(5000);
        const producer = await client.createProducer({ topic, batching: false });
        // pause() stops fetching from the broker (ours) or hands nothing to receive() (native);
        // either way nothing may be lost across pause/resume.
        consumer.pause();
        await producer.send('held');
        consumer.resume();
        const got = await consumer.receive(10_000);
        expect(got.payload.toString()).toBe('held');
        consumer.ack(got);
        const waiting = consumer.receive();
        const iterated: string[] = [];
        await producer.send('it-0');
        const iteration = (async () => {
          for await (const m of consumer) iterated.push(m.payload.toString());
        })();
        await expect(waiting).resolves.toMatchObject({ topic });
        await consumer.close();
        await iteration;
        // The waiting receive took it-0; the iterator ended cleanly on close instead of throwing.
        expect(iterated).toEqual([]);
        await expect(consumer.receive(100)).rejects.toMatchObject({ code: 'BL_PULSAR_ALREADY_CLOSED' });
        await producer.close();
      });
    });

    it('unsubscribe deletes the subscription on the broker', async () => {
      await withClient(t.open, async (client) => {
        const topic = topicName('contract-unsub');
        const consumer = await client.subscribe({ topic, subscription: 'gone', initialPosition: 'Earliest' });
        expect(await subscriptions(topic)).toContain('gone');
        await consumer.unsubscribe();
        expect(await subscriptions(topic)).not.toContain('gone');
      });
    });

    it('authenticates with a token and refuses a client without one', async () => {
      await withClient(
        () => t.openAuth(t.authToken),
        async (client) => {
          const topic = topicName('contract-auth');
          const producer = await client.createProducer({ topic });
          await producer.send('ok');
          await producer.close();
        },
      );
      await withClient(
        () => t.openAuth(undefined),
        async (client) => {
          await expect(client.createProducer({ topic: topicName('contract-noauth') })).rejects.toMatchObject({
            code: 'BL_PULSAR_AUTHENTICATION',
          });
        },
      );
    });

    it('transactions: commit and abort when supported, a clear refusal when not', async () => {
      await withClient(t.open, async (client) => {
        if (!client.capabilities.transactions) {
          await expect(client.newTransaction()).rejects.toMatchObject({
            code: 'BL_PULSAR_UNSUPPORTED_FEATURE',
            message: expect.stringContaining(client.implementation),
          });
          return;
        }
        const topic = topicName('contract-txn');
        const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
        const producer = await client.createProducer({ topic, batching: false, sendTimeoutMs: 0 });
        const aborted = await client.newTransaction();
        await producer.send('never', { txn: aborted });
        await aborted.abort();
        const committed = await client.newTransaction();
        await producer.send('visible', { txn: committed });
        await committed.commit();
        const m = await consumer.receive(10_000);
        expect(m.payload.toString()).toBe('visible');
        await expect(consumer.receive(1500)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
        await producer.close();
        await consumer.close();
      });
    });

    it('table view and consumer last-message queries: work when supported, a clear refusal when not', async () => {
      await withClient(t.open, async (client) => {
        const topic = topicName('contract-table');
        const producer = await client.createProducer({ topic, batching: false });
        await producer.send({ payload: 'v1', key: 'a' });
        const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
        if (client.capabilities.tableView) {
          const view = await client.createTableView({ topic });
          expect(view.get('a')?.toString()).toBe('v1');
          await view.close();
        } else {
          await expect(client.createTableView({ topic })).rejects.toMatchObject({ code: 'BL_PULSAR_UNSUPPORTED_FEATURE' });
        }
        if (client.capabilities.lastMessageIds) {
          expect(await consumer.hasMessageAvailable()).toBe(true);
          expect(await consumer.getLastMessageIds()).toHaveLength(1);
        } else {
          await expect(consumer.hasMessageAvailable()).rejects.toMatchObject({ code: 'BL_PULSAR_UNSUPPORTED_FEATURE' });
          await expect(consumer.getLastMessageIds()).rejects.toMatchObject({ code: 'BL_PULSAR_UNSUPPORTED_FEATURE' });
        }
        await consumer.close();
        await producer.close();
      });
    });
  });
}

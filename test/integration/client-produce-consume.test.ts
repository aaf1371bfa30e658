/**
 * Beamline's own Pulsar client against the real broker: produce/consume, codecs, acks, and the
 * defect list from shared/notes/pulsar-protocol.md (each test fails if its feature breaks).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { BeamlineError } from '../../functions/errors.ts';
import { admin, cleanupTopics, newClient, restPath, subscriptions, topicName } from './client-support.ts';
import { receiveN, expectNothing, receiveUntil } from '../support/receive.ts';

const client = newClient();
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

describe('produce and consume on a real broker', () => {
  it('round-trips key, ordering key, properties, event time and exact ids', async () => {
    const topic = topicName('rt');
    const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
    const producer = await client.createProducer({ topic, batching: false });
    const before = Date.now();
    const id = await producer.send({
      payload: Buffer.from([0, 1, 2, 255]),
      key: 'user-1',
      orderingKey: 'ok',
      properties: { a: '1', b: 'two' },
      eventTimeMs: 1_700_000_000_000,
    });
    const m = await consumer.receive(10_000);
    expect(m.id.equals(id)).toBe(true);
    expect(typeof m.id.ledgerId).toBe('bigint');
    expect([...m.payload]).toEqual([0, 1, 2, 255]);
    expect(m.key).toBe('user-1');
    expect(m.orderingKey?.toString()).toBe('ok');
    expect(m.properties).toEqual({ a: '1', b: 'two' });
    expect(m.eventTimeMs).toBe(1_700_000_000_000);
    expect(m.publishTimeMs).toBeGreaterThanOrEqual(before - 1000);
    expect(m.topic).toBe(topic);
    expect(m.redeliveryCount).toBe(0);
    consumer.ack(m);
    await producer.close();
    await consumer.close();
  });

  for (const compression of ['none', 'lz4', 'zlib', 'zstd', 'snappy'] as const) {
    it(`delivers a ${compression} batch intact (defect: LZ4 batch crashed)`, async () => {
      const topic = topicName(`codec-${compression}`);
      const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
      const producer = await client.createProducer({ topic, compression, batchingMaxMessages: 50, batchingMaxDelayMs: 50 });
      const payloads = Array.from({ length: 50 }, (_, i) => `message ${i} `.repeat(20));
      const ids = await Promise.all(payloads.map((p, i) => producer.send({ payload: p, key: `k${i % 5}` })));
      expect(ids[49]?.batchSize).toBe(50);
      const got = await receiveN(consumer, 50);
      expect(got.map((m) => m.payload.toString())).toEqual(payloads);
      expect(got.map((m) => m.key)).toEqual(payloads.map((_, i) => `k${i % 5}`));
      for (const m of got) consumer.ack(m);
      await producer.close();
      await consumer.close();
    });
  }

  it('sends the initial position: Earliest sees older messages, Latest does not (defect 2)', async () => {
    const topic = topicName('initpos');
    const producer = await client.createProducer({ topic, batching: false });
    await producer.send('old');
    const earliest = await client.subscribe({ topic, subscription: 'early', initialPosition: 'Earliest' });
    const latest = await client.subscribe({ topic, subscription: 'late', initialPosition: 'Latest' });
    expect((await earliest.receive(10_000)).payload.toString()).toBe('old');
    await producer.send('new');
    expect((await latest.receive(10_000)).payload.toString()).toBe('new');
    expect((await earliest.receive(10_000)).payload.toString()).toBe('new');
    await Promise.all([producer.close(), earliest.close(), latest.close()]);
  });

  it('acking one message of a batch never acks the others (defect 1)', async () => {
    const topic = topicName('batchack');
    const first = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
    const producer = await client.createProducer({ topic, batchingMaxMessages: 5, batchingMaxDelayMs: 1000 });
    await Promise.all(['m0', 'm1', 'm2', 'm3', 'm4'].map((p) => producer.send(p)));
    const batch = await receiveN(first, 5);
    expect(batch.every((m) => m.id.batchSize === 5)).toBe(true);
    first.ack(batch[0]!);
    first.ack(batch[1]!);
    await first.close();
    const second = await client.subscribe({ topic, subscription: 's' });
    const again = new Set<string>();
    // The broker redelivers the entry: the unacked members must come back (acked ones may too,
    // when the broker has batch-index acks disabled; never fewer).
    await receiveUntil(
      second,
      (m) => {
        again.add(m.payload.toString());
        second.ack(m);
      },
      () => ['m2', 'm3', 'm4'].every((p) => again.has(p)),
    );
    expect([...again]).toEqual(expect.arrayContaining(['m2', 'm3', 'm4']));
    await second.close();
    const third = await client.subscribe({ topic, subscription: 's' });
    await expectNothing(third);
    await third.close();
    await producer.close();
  });

  it('unsubscribe deletes the subscription on the broker (defect 3)', async () => {
    const topic = topicName('unsub');
    const consumer = await client.subscribe({ topic, subscription: 'gone' });
    const keep = await client.subscribe({ topic, subscription: 'kept' });
    expect((await subscriptions(topic)).sort()).toEqual(['gone', 'kept']);
    await consumer.unsubscribe();
    expect(await subscriptions(topic)).toEqual(['kept']);
    await keep.close();
    expect(await subscriptions(topic)).toEqual(['kept']);
  });

  it('delivers to an idle consumer without polling delay (defect 5)', async () => {
    const topic = topicName('latency');
    const consumer = await client.subscribe({ topic, subscription: 's' });
    const producer = await client.createProducer({ topic, batching: false });
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 300)); // let the consumer go idle
      const waiting = consumer.receive(10_000);
      const t0 = performance.now();
      await producer.send(`m${i}`);
      const m = await waiting;
      latencies.push(performance.now() - t0);
      consumer.ack(m);
    }
    // A 1 s poll loop would put at least one of five deliveries far above this.
    expect(Math.max(...latencies)).toBeLessThan(400);
    await Promise.all([producer.close(), consumer.close()]);
  });

  it('routes by key under Key_Shared: each key goes to exactly one consumer (defect 6)', async () => {
    const topic = topicName('keyshared');
    const c1 = await client.subscribe({ topic, subscription: 'ks', subscriptionType: 'Key_Shared', initialPosition: 'Earliest' });
    const c2 = await client.subscribe({ topic, subscription: 'ks', subscriptionType: 'Key_Shared', initialPosition: 'Earliest' });
    const producer = await client.createProducer({ topic, batchingType: 'key-based', batchingMaxDelayMs: 20 });
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    await Promise.all(Array.from({ length: 200 }, (_, i) => producer.send({ payload: `${i}`, key: keys[i % 20] })));
    const owner = new Map<string, Set<number>>();
    let total = 0;
    // Each takes until all 200 arrived (up to 30 s), then 2 s more to catch a duplicate.
    const drain = (c: typeof c1, n: number): Promise<void> =>
      receiveUntil(
        c,
        (m) => {
          total++;
          const s = owner.get(m.key!) ?? new Set<number>();
          s.add(n);
          owner.set(m.key!, s);
          c.ack(m);
        },
        () => total >= 200,
        { quietMs: 2000 },
      );
    await Promise.all([drain(c1, 1), drain(c2, 2)]);
    expect(total).toBe(200);
    expect(owner.size).toBe(20);
    for (const s of owner.values()) expect(s.size).toBe(1);
    await Promise.all([producer.close(), c1.close(), c2.close()]);
  });

  it('shares one connection per broker across producers, consumers and lookups (defect 8)', async () => {
    const own = newClient();
    const topic = topicName('shared-conn');
    const p1 = await own.createProducer({ topic });
    const p2 = await own.createProducer({ topic: topicName('shared-conn2') });
    const c1 = await own.subscribe({ topic, subscription: 's' });
    expect(own.pool.size).toBe(1);
    const conn = p1.partitionProducers[0]!.connection;
    expect(p2.partitionProducers[0]!.connection).toBe(conn);
    expect(c1.topicConsumers[0]!.connection).toBe(conn);
    await own.close();
  });

  it('leaves no timer per request or send behind after a burst (defect 7)', async () => {
    const own = newClient();
    const topic = topicName('timers');
    const producer = await own.createProducer({ topic, batching: false, maxPendingMessages: 2000 });
    const consumer = await own.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await Promise.all(Array.from({ length: 1000 }, (_, i) => producer.send(`m${i}`)));
    await Promise.all(Array.from({ length: 300 }, () => own.getPartitions(topic)));
    const got = await receiveN(consumer, 1000);
    for (const m of got) consumer.ack(m);
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(own.pendingDeadlines).toBe(0);
    expect(timersAfter - timersBefore).toBeLessThan(10);
    await own.close();
  });

  it('redelivers a negatively acknowledged message after the delay, then dead-letters it', async () => {
    const topic = topicName('nack');
    const consumer = await client.subscribe({
      topic,
      subscription: 'work',
      subscriptionType: 'Shared',
      initialPosition: 'Earliest',
      negativeAckRedeliveryDelayMs: 200,
      deadLetterPolicy: { maxRedeliverCount: 2 },
    });
    const dlq = await client.subscribe({ topic: `${topic}-work-DLQ`, subscription: 'inspect', initialPosition: 'Earliest' });
    const producer = await client.createProducer({ topic, batching: false });
    await producer.send({ payload: 'poison', key: 'k', properties: { origin: 'test' } });
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await consumer.receive(10_000);
      counts.push(m.redeliveryCount);
      consumer.nack(m);
    }
    expect(counts).toEqual([0, 1, 2]);
    const dead = await dlq.receive(10_000);
    expect(dead.payload.toString()).toBe('poison');
    expect(dead.key).toBe('k');
    expect(dead.properties).toMatchObject({ origin: 'test', REAL_TOPIC: topic });
    await expectNothing(consumer);
    await Promise.all([producer.close(), consumer.close(), dlq.close()]);
  });

  it('cumulative ack acknowledges everything up to the message', async () => {
    const topic = topicName('cumulative');
    const c1 = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
    const producer = await client.createProducer({ topic, batching: false });
    for (let i = 0; i < 5; i++) await producer.send(`m${i}`);
    const got = await receiveN(c1, 5);
    c1.ackCumulative(got[2]!);
    await c1.close();
    const c2 = await client.subscribe({ topic, subscription: 's' });
    expect((await receiveN(c2, 2)).map((m) => m.payload.toString())).toEqual(['m3', 'm4']);
    await Promise.all([producer.close(), c2.close()]);
  });

  it('Failover delivers to one active consumer only', async () => {
    const topic = topicName('failover');
    const a = await client.subscribe({ topic, subscription: 'fo', subscriptionType: 'Failover', consumerName: 'a' });
    const b = await client.subscribe({ topic, subscription: 'fo', subscriptionType: 'Failover', consumerName: 'b' });
    const producer = await client.createProducer({ topic, batching: false });
    for (let i = 0; i < 10; i++) await producer.send(`m${i}`);
    const got: string[] = [];
    const counts = [0, 0];
    await Promise.all(
      [a, b].map((c, idx) =>
        receiveUntil(
          c,
          (m) => {
            got.push(m.payload.toString());
            counts[idx]!++;
            c.ack(m);
          },
          () => got.length >= 10,
          { quietMs: 1500 },
        ),
      ),
    );
    expect(got).toHaveLength(10);
    expect(counts.filter((n) => n > 0)).toHaveLength(1);
    await Promise.all([producer.close(), a.close(), b.close()]);
  });

  it('an Exclusive producer keeps a second one out with a stable error code', async () => {
    const topic = topicName('excl');
    const p1 = await client.createProducer({ topic, accessMode: 'Exclusive' });
    const err = await client.createProducer({ topic, accessMode: 'Exclusive' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toMatch(/^BL_PULSAR_(PRODUCER_BUSY|PRODUCER_FENCED)$/);
    await p1.close();
  });

  it('pause() stops delivery beyond the prefetched queue; resume() restarts it', async () => {
    const topic = topicName('pause');
    const consumer = await client.subscribe({ topic, subscription: 's', receiverQueueSize: 4 });
    consumer.pause();
    const producer = await client.createProducer({ topic, batching: false });
    for (let i = 0; i < 10; i++) await producer.send(`m${i}`);
    const first = await receiveN(consumer, 4);
    await expectNothing(consumer, 1000);
    consumer.resume();
    const rest = await receiveN(consumer, 6);
    expect([...first, ...rest].map((m) => m.payload.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    await Promise.all([producer.close(), consumer.close()]);
  });

  it('chunks a message larger than the broker limit and reassembles it', async () => {
    const topic = topicName('chunked');
    const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
    const producer = await client.createProducer({ topic, chunking: true });
    const big = randomBytes(12 * 1024 * 1024);
    const id = await producer.send({ payload: big, key: 'large' });
    await producer.send('after');
    const m = await consumer.receive(30_000);
    expect(m.id.equals(id)).toBe(true);
    expect(m.key).toBe('large');
    expect(m.payload.length).toBe(big.length);
    expect(Buffer.compare(m.payload, big)).toBe(0);
    consumer.ack(m);
    const next = await consumer.receive(10_000);
    expect(next.payload.toString()).toBe('after');
    consumer.ack(next);
    await consumer.close();
    const again = await client.subscribe({ topic, subscription: 's' });
    await expectNothing(again);
    await Promise.all([producer.close(), again.close()]);
  });

  it('lets broker de-duplication drop a repeated sequence id and resumes sequence ids by producer name', async () => {
    const topic = topicName('dedup');
    const name = `dedup-producer-${Date.now()}`;
    const first = await client.createProducer({ topic, name, batching: false });
    const r = await admin('POST', `${restPath(topic)}/deduplicationEnabled`, true);
    expect(r.status).toBe(204);
    // Topic policies apply asynchronously: reconnect the producer until the broker reports the
    // last sequence id it stored (dedup active), sending a probe each time.
    await first.close();
    let producer = await client.createProducer({ topic, name, batching: false });
    for (let i = 0; i < 50; i++) {
      await producer.send({ payload: 'probe', sequenceId: 0 });
      await producer.close();
      producer = await client.createProducer({ topic, name, batching: false });
      if (producer.partitionProducers[0]!.lastSequenceId >= 0) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(producer.partitionProducers[0]!.lastSequenceId).toBe(0);
    const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Latest' });
    const a = await producer.send({ payload: 'a', sequenceId: 10 });
    const dup = await producer.send({ payload: 'a-again', sequenceId: 10 });
    const b = await producer.send('b'); // auto sequence id continues after 10
    expect(a.entryId).toBeGreaterThanOrEqual(0n);
    expect(dup.entryId).toBe(-1n);
    expect(b.entryId).toBeGreaterThan(a.entryId);
    const got = await receiveN(consumer, 2);
    expect(got.map((m) => [m.payload.toString(), m.sequenceId])).toEqual([
      ['a', 10],
      ['b', 11],
    ]);
    await expectNothing(consumer, 1000);
    await Promise.all([producer.close(), consumer.close()]);
  });
});

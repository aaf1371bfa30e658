/** Partitioned topics, routing (Java-compatible key hash), multi-topic and regex subscriptions. */
import { afterAll, describe, expect, it } from 'vitest';
import { keyPartition, type Consumer } from '@beamline/pulsar';
import { expectNothing, receiveCount } from '../support/receive.ts';
import { cleanupTopics, createPartitionedTopic, newClient, topicName } from './client-support.ts';

const client = newClient();
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

/** Exactly `n` messages (acked): waits for all `n` (up to 30 s), then for no extra one. */
async function receiveExactly(c: Consumer, n: number) {
  const got = await receiveCount(c, n, { ack: (m) => c.ack(m) });
  await expectNothing(c, 2000);
  return got;
}

describe('partitioned topics', () => {
  it('routes keyed messages to JavaStringHash(key) % partitions, like the Java client', async () => {
    const topic = topicName('parted');
    await createPartitionedTopic(topic, 3);
    expect(await client.getPartitions(topic)).toBe(3);
    const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
    expect(consumer.topics.sort()).toEqual([0, 1, 2].map((i) => `${topic}-partition-${i}`));
    const producer = await client.createProducer({ topic, batchingMaxDelayMs: 5 });
    expect(producer.partitions).toBe(3);
    const keys = Array.from({ length: 30 }, (_, i) => `customer-${i}`);
    const ids = await Promise.all(keys.map((key) => producer.send({ payload: key, key })));
    ids.forEach((id, i) => expect(id.partition).toBe(keyPartition(keys[i]!, 3, 'java-string')));
    const got = await receiveExactly(consumer, 30);
    expect(got).toHaveLength(30);
    for (const m of got) {
      expect(m.id.partition).toBe(keyPartition(m.key!, 3, 'java-string'));
      expect(m.topic).toBe(`${topic}-partition-${m.id.partition}`);
    }
    await Promise.all([producer.close(), consumer.close()]);
  });

  it('spreads keyless messages round-robin and keeps them on one partition in Single mode', async () => {
    const topic = topicName('rr');
    await createPartitionedTopic(topic, 4);
    const rr = await client.createProducer({ topic, batching: false });
    const rrIds = await Promise.all(Array.from({ length: 8 }, (_, i) => rr.send(`m${i}`)));
    expect(new Set(rrIds.map((id) => id.partition)).size).toBe(4);
    const single = await client.createProducer({ topic, batching: false, routingMode: 'Single' });
    const sIds = await Promise.all(Array.from({ length: 8 }, (_, i) => single.send(`s${i}`)));
    expect(new Set(sIds.map((id) => id.partition)).size).toBe(1);
    await Promise.all([rr.close(), single.close()]);
  });

  it('consumes several topics in one consumer', async () => {
    const a = topicName('multi-a');
    const b = topicName('multi-b');
    const consumer = await client.subscribe({ topics: [a, b], subscription: 's', initialPosition: 'Earliest' });
    const pa = await client.createProducer({ topic: a, batching: false });
    const pb = await client.createProducer({ topic: b, batching: false });
    await pa.send('from-a');
    await pb.send('from-b');
    const got = await receiveExactly(consumer, 2);
    expect(got.map((m) => [m.topic, m.payload.toString()]).sort()).toEqual([
      [a, 'from-a'],
      [b, 'from-b'],
    ]);
    await Promise.all([pa.close(), pb.close(), consumer.close()]);
  });

  it('subscribes by regex over a namespace (GET_TOPICS_OF_NAMESPACE) and discovers new topics', async () => {
    const prefix = topicName('re').split('/').pop()!;
    const t1 = `persistent://public/default/${prefix}-one`;
    const t2 = `persistent://public/default/${prefix}-two`;
    const other = topicName('not-matching');
    const p1 = await client.createProducer({ topic: t1, batching: false });
    const p2 = await client.createProducer({ topic: t2, batching: false });
    const po = await client.createProducer({ topic: other, batching: false });
    expect(await client.getTopicsOfNamespace('public/default')).toEqual(expect.arrayContaining([t1, t2]));
    const consumer = await client.subscribe({
      topicsPattern: `public/default/${prefix}-.*`,
      subscription: 's',
      initialPosition: 'Earliest',
      patternAutoDiscoveryPeriodMs: 500,
    });
    expect(consumer.topics.sort()).toEqual([t1, t2]);
    await p1.send('one');
    await p2.send('two');
    await po.send('other');
    expect((await receiveExactly(consumer, 2)).map((m) => m.payload.toString()).sort()).toEqual(['one', 'two']);
    const t3 = `persistent://public/default/${prefix}-three`;
    const p3 = await client.createProducer({ topic: t3, batching: false });
    for (let i = 0; i < 50 && !consumer.topics.includes(t3); i++) await new Promise((r) => setTimeout(r, 100));
    expect(consumer.topics).toContain(t3);
    await p3.send('three');
    expect((await consumer.receive(10_000)).payload.toString()).toBe('three');
    await Promise.all([p1.close(), p2.close(), p3.close(), po.close(), consumer.close()]);
  });
});

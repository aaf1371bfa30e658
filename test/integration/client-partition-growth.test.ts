/**
 * Partitions added to a partitioned topic (admin POST .../partitions) reach running producers
 * and consumers through their periodic PARTITIONED_METADATA re-check.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { keyPartition, type Message } from '@beamline/pulsar';
import { admin, cleanupTopics, createPartitionedTopic, newClient, restPath, topicName } from './client-support.ts';

const client = newClient();
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

/** Poll `cond` until it holds or `ms` pass (the re-check runs on the client's own timer). */
async function eventually(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

describe('partition growth', () => {
  it('producers route over the new count and consumers read added partitions from their start', async () => {
    const topic = topicName('grow');
    await createPartitionedTopic(topic, 2);
    // The consumer re-checks later than the producer, so the producer writes to the new
    // partitions before the consumer subscribes them; nothing written there may be missed.
    const consumer = await client.subscribe({ topic, subscription: 's', partitionsAutoUpdateIntervalMs: 3000 });
    const producer = await client.createProducer({ topic, batching: false, partitionsAutoUpdateIntervalMs: 200 });
    expect([producer.partitions, consumer.topics.length]).toEqual([2, 2]);

    const r = await admin('POST', `${restPath(topic)}/partitions`, 4);
    expect(r.status).toBe(204);
    expect(await client.getPartitions(topic)).toBe(4);
    expect(await eventually(() => producer.partitions === 4, 10_000)).toBe(true);
    expect(consumer.topics.length).toBe(2);

    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    const ids = await Promise.all(keys.map((key) => producer.send({ payload: key, key })));
    ids.forEach((id, i) => expect(id.partition).toBe(keyPartition(keys[i]!, 4, 'java-string')));
    expect(new Set(ids.map((id) => id.partition))).toEqual(new Set([0, 1, 2, 3]));

    expect(await eventually(() => consumer.topics.length === 4, 10_000)).toBe(true);
    const got: Message[] = [];
    while (got.length < keys.length) {
      const m = await consumer.receive(10_000);
      got.push(m);
      consumer.ack(m);
    }
    expect(got.map((m) => m.key).sort()).toEqual([...keys].sort());
    for (const m of got) expect(m.id.partition).toBe(keyPartition(m.key!, 4, 'java-string'));
    await Promise.all([producer.close(), consumer.close()]);
  });

  it('a reader started at the latest message reads what was written to added partitions before it saw them', async () => {
    const topic = topicName('grow-read');
    await createPartitionedTopic(topic, 2);
    const reader = await client.createReader({ topic, startMessageId: 'latest', partitionsAutoUpdateIntervalMs: 3000 });
    const producer = await client.createProducer({ topic, batching: false, partitionsAutoUpdateIntervalMs: 200 });
    expect((await admin('POST', `${restPath(topic)}/partitions`, 3)).status).toBe(204);
    expect(await eventually(() => producer.partitions === 3, 10_000)).toBe(true);
    const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => keyPartition(k, 3, 'java-string') === 2)!;
    const id = await producer.send({ payload: 'on the new partition', key });
    expect(id.partition).toBe(2);
    const m = await reader.readNext(15_000);
    expect([m.topic, m.payload.toString()]).toEqual([`${topic}-partition-2`, 'on the new partition']);
    await Promise.all([producer.close(), reader.close()]);
  });
});

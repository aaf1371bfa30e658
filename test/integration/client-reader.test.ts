/** Readers (non-durable): earliest/latest/id/publish time, hasMessageAvailable, seek, compacted reads. */
import { afterAll, describe, expect, it } from 'vitest';
import { MessageId, type Reader } from '@beamline/pulsar';
import { admin, cleanupTopics, compact, createPartitionedTopic, newClient, restPath, subscriptions, topicName } from './client-support.ts';

const client = newClient();
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

/**
 * Everything up to the end of the topic: reads while the broker says more is available (a
 * condition, not "no message for a while means done", which a loaded machine breaks).
 */
async function readAll(r: Reader): Promise<string[]> {
  const out: string[] = [];
  while (await r.hasMessageAvailable()) out.push((await r.readNext(30_000)).payload.toString());
  return out;
}

describe('reader', () => {
  it('reads from earliest, from latest, and answers hasMessageAvailable from the broker', async () => {
    const topic = topicName('reader');
    const producer = await client.createProducer({ topic, batching: false });
    const ids: MessageId[] = [];
    for (let i = 0; i < 5; i++) ids.push(await producer.send(`m${i}`));
    const fromEarliest = await client.createReader({ topic, startMessageId: 'earliest' });
    expect(await fromEarliest.hasMessageAvailable()).toBe(true);
    const seen: string[] = [];
    while (await fromEarliest.hasMessageAvailable()) seen.push((await fromEarliest.readNext(5000)).payload.toString());
    expect(seen).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(await fromEarliest.hasMessageAvailable()).toBe(false);
    const fromLatest = await client.createReader({ topic, startMessageId: 'latest' });
    expect(await fromLatest.hasMessageAvailable()).toBe(false);
    await producer.send('m5');
    expect((await fromLatest.readNext(10_000)).payload.toString()).toBe('m5');
    // Non-durable: no subscription is left behind.
    await fromEarliest.close();
    await fromLatest.close();
    expect(await subscriptions(topic)).toEqual([]);
    await producer.close();
  });

  it('starts after an id (exclusive) or at it (inclusive), including inside a batch', async () => {
    const topic = topicName('reader-id');
    const plain = await client.createProducer({ topic, batching: false });
    const ids: MessageId[] = [];
    for (let i = 0; i < 4; i++) ids.push(await plain.send(`p${i}`));
    const batched = await client.createProducer({ topic, batchingMaxMessages: 4, batchingMaxDelayMs: 1000 });
    const bids = await Promise.all(['b0', 'b1', 'b2', 'b3'].map((p) => batched.send(p)));
    const exclusive = await client.createReader({ topic, startMessageId: ids[1]! });
    expect(await readAll(exclusive)).toEqual(['p2', 'p3', 'b0', 'b1', 'b2', 'b3']);
    const inclusive = await client.createReader({ topic, startMessageId: ids[1]!, startMessageIdInclusive: true });
    expect(await readAll(inclusive)).toEqual(['p1', 'p2', 'p3', 'b0', 'b1', 'b2', 'b3']);
    const inBatch = await client.createReader({ topic, startMessageId: bids[1]! });
    expect(await readAll(inBatch)).toEqual(['b2', 'b3']);
    const inBatchIncl = await client.createReader({ topic, startMessageId: bids[1]!, startMessageIdInclusive: true });
    expect(await readAll(inBatchIncl)).toEqual(['b1', 'b2', 'b3']);
    // Ids survive a trip through bytes and strings (exact 64-bit).
    const again = await client.createReader({ topic, startMessageId: MessageId.fromBytes(ids[2]!.toBytes()) });
    expect((await again.readNext(5000)).payload.toString()).toBe('p3');
    await Promise.all([exclusive, inclusive, inBatch, inBatchIncl, again].map((r) => r.close()));
    await Promise.all([plain.close(), batched.close()]);
  });

  it('starts at a publish time and seeks by id and by time', async () => {
    const topic = topicName('reader-time');
    const producer = await client.createProducer({ topic, batching: false });
    const ids: MessageId[] = [];
    for (let i = 0; i < 3; i++) ids.push(await producer.send(`early${i}`));
    await new Promise((r) => setTimeout(r, 50));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 3; i++) ids.push(await producer.send(`late${i}`));
    const byTime = await client.createReader({ topic, startMessageId: 'earliest', startPublishTimeMs: cut });
    expect(await readAll(byTime)).toEqual(['late0', 'late1', 'late2']);
    await byTime.seek(ids[1]!);
    expect(await readAll(byTime)).toEqual(['early1', 'early2', 'late0', 'late1', 'late2']);
    await byTime.seek(cut);
    expect(await readAll(byTime)).toEqual(['late0', 'late1', 'late2']);
    await byTime.close();
    await producer.close();
  });

  it('starts a rollback duration back by the broker clock, with no seek, and resumes after a reconnect', async () => {
    const topic = topicName('reader-rollback');
    const producer = await client.createProducer({ topic, batching: false });
    for (let i = 0; i < 3; i++) await producer.send(`old${i}`);
    // The broker rewinds whole seconds by publish time: 3.5 s between old and new, a 2 s rewind.
    await new Promise((r) => setTimeout(r, 3_500));
    for (let i = 0; i < 3; i++) await producer.send(`new${i}`);
    const reader = await client.createReader({ topic, startMessageId: 'earliest', startRollbackDurationMs: 1_500 });
    expect(await readAll(reader)).toEqual(['new0', 'new1', 'new2']);
    // Rewound past everything: nothing available, said by the broker's cursor, not the start id.
    await new Promise((r) => setTimeout(r, 2_500));
    const none = await client.createReader({ topic, startMessageId: 'earliest', startRollbackDurationMs: 1_000 });
    expect(await none.hasMessageAvailable()).toBe(false);
    await none.close();
    // After a delivery a resubscribe resumes after it; the rewind is not asked again.
    const unloaded = await admin('PUT', `${restPath(topic)}/unload`);
    expect(unloaded.status).toBe(204);
    await producer.send('after');
    expect((await reader.readNext(30_000)).payload.toString()).toBe('after');
    await reader.close();
    await producer.close();
  });

  it('refuses an exact start id on a partitioned topic, naming the partition topic to read instead', async () => {
    const topic = topicName('reader-part');
    await createPartitionedTopic(topic, 2);
    const producer = await client.createProducer({ topic, batching: false });
    const ids: MessageId[] = [];
    for (let i = 0; i < 6; i++) ids.push(await producer.send({ payload: `p${i}`, key: `k${i}` }));
    const id = ids[0] as MessageId;
    await expect(client.createReader({ topic, startMessageId: id })).rejects.toMatchObject({
      code: 'BL_CONFIG_INVALID',
      field: 'startMessageId',
      message: expect.stringContaining(`${topic}-partition-${id.partition}`),
    });
    // What the error suggests works: the partition's own topic, from that id (exclusive).
    const reader = await client.createReader({ topic: `${topic}-partition-${id.partition}`, startMessageId: id });
    const expected = ids.flatMap((x, i) => (x.partition === id.partition && i > 0 ? [`p${i}`] : []));
    expect(await readAll(reader)).toEqual(expected);
    await reader.close();
    const whole = await client.createReader({ topic, startMessageId: 'earliest' });
    expect((await readAll(whole)).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    await whole.close();
    await producer.close();
  });

  it('readCompacted returns only the latest value per key after compaction', async () => {
    const topic = topicName('reader-compacted');
    const producer = await client.createProducer({ topic, batching: false });
    await producer.send({ payload: 'a1', key: 'a' });
    await producer.send({ payload: 'b1', key: 'b' });
    await producer.send({ payload: 'a2', key: 'a' });
    await compact(topic);
    const compacted = await client.createReader({ topic, startMessageId: 'earliest', readCompacted: true });
    expect(await readAll(compacted)).toEqual(['b1', 'a2']);
    const full = await client.createReader({ topic, startMessageId: 'earliest' });
    expect(await readAll(full)).toEqual(['a1', 'b1', 'a2']);
    await Promise.all([compacted.close(), full.close(), producer.close()]);
  });
});

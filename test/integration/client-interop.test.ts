/**
 * Interoperability with the official Apache Pulsar Java client (4.0.7, driven through the Java
 * peer in scripts/java): what Java writes, our consumer reads identically; what our producer
 * writes, Java reads identically; keyed messages land on the same partitions; Key_Shared splits
 * keys between consumers. Every codec is covered in both directions. JVM starts are the cost
 * here, so each check batches as much as it can into one Java run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPartition, type Message, type MessageId } from '@beamline/pulsar';
import type { CompressionName } from '@beamline/pulsar';
import {
  ensureJavaPeer,
  javaConsume,
  javaPartitionOf,
  javaPeerPayload,
  javaProduce,
  runJavaPeer,
  sha256Hex,
  type JavaCompression,
  type JavaProducedMessage,
} from '../support/java-peer.ts';
import { cleanupTopics, createPartitionedTopic, env, newClient, topicName } from './client-support.ts';

const CODECS: readonly JavaCompression[] = ['NONE', 'LZ4', 'ZLIB', 'ZSTD', 'SNAPPY'];
const EVENT_TIME_BASE = Date.UTC(2020, 0, 1);
const conn = { serviceUrl: env.serviceUrl, token: env.token };

const client = newClient();

beforeAll(() => {
  ensureJavaPeer();
}, 600_000);

afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

/** The Java peer's id text: `ledger:entry:partition:batchIndex`. */
function idText(id: MessageId): string {
  return `${id.ledgerId}:${id.entryId}:${id.partition}:${id.batchIndex}`;
}

async function receiveAll(consumer: { receive(ms?: number): Promise<Message>; ack(m: Message): void }, n: number): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < n; i++) {
    let m: Message;
    try {
      m = await consumer.receive(20_000);
    } catch (err) {
      // Say which topics came up short, not just that a receive timed out.
      const perTopic: Record<string, number> = {};
      for (const x of out) perTopic[x.topic] = (perTopic[x.topic] ?? 0) + 1;
      throw new Error(`received ${out.length} of ${n}: ${JSON.stringify(perTopic)}`, { cause: err });
    }
    consumer.ack(m);
    out.push(m);
  }
  return out;
}

describe('interop with the official Java client', () => {
  it('Java producers (batching, keys, properties, event time) with EACH codec are read by our consumer identically', async () => {
    const count = 60;
    const topics = new Map(CODECS.map((c) => [c, topicName(`interop-java-${c.toLowerCase()}`)] as const));
    // One JVM per codec (the peer takes one codec per run); two at a time on a 2-core machine.
    const produced = new Map<string, JavaProducedMessage[]>();
    for (const pair of [CODECS.slice(0, 3), CODECS.slice(3)]) {
      await Promise.all(
        pair.map(async (codec) => {
          const topic = topics.get(codec) as string;
          const r = await javaProduce({
            ...conn,
            topic,
            count,
            batching: true,
            batchMax: 20,
            compression: codec,
            keyPrefix: `kè-${codec}-`,
            keys: 7,
            withProperties: true,
            eventTime: true,
            payloadSize: 300,
          });
          expect(r.sent).toBe(count);
          produced.set(topic, r.messages);
        }),
      );
    }
    for (const [topic, msgs] of produced) {
      // Batches really formed: several messages share an entry.
      expect(new Set(msgs.map((m) => m.id.split(':').slice(0, 2).join(':'))).size, topic).toBeLessThan(count);
    }

    const consumer = await client.subscribe({ topics: [...topics.values()], subscription: 'ours', initialPosition: 'Earliest' });
    const got = await receiveAll(consumer, count * CODECS.length);
    await consumer.close();

    const byId = new Map(got.map((m) => [`${m.topic} ${idText(m.id)}`, m]));
    expect(byId.size).toBe(count * CODECS.length);
    for (const [topic, msgs] of produced) {
      for (const sent of msgs) {
        const m = byId.get(`${topic} ${sent.id}`);
        expect(m, `${topic} ${sent.id}`).toBeDefined();
        if (m === undefined) continue;
        expect(m.key).toBe(sent.key);
        expect(m.properties).toEqual(sent.properties);
        expect(m.properties['unicode']).toBe('héllo-☃');
        expect(m.eventTimeMs).toBe(sent.eventTime);
        expect(m.eventTimeMs).toBe(EVENT_TIME_BASE + sent.index);
        expect(sha256Hex(m.payload)).toBe(sent.payloadSha256);
        expect(m.payload.equals(javaPeerPayload(sent.index, 300))).toBe(true);
      }
    }
  });

  it("our producer's batches with EACH codec are read by the Java consumer identically", async () => {
    const topic = topicName('interop-ours');
    const perCodec = 40;
    const sent: {
      codec: CompressionName;
      i: number;
      key: string;
      id: MessageId;
      payload: Buffer;
      props: Record<string, string>;
      eventTimeMs: number;
    }[] = [];
    for (const codec of CODECS.map((c) => c.toLowerCase() as CompressionName)) {
      const producer = await client.createProducer({
        topic,
        compression: codec,
        batchingMaxMessages: 16,
        batchingMaxDelayMs: 20,
        name: `ours-${codec}`,
      });
      const sends = Array.from({ length: perCodec }, (_, i) => {
        const key = `kè-${codec}-${i % 5}`;
        // Compressible and not: half the payload repeats, half does not.
        const payload = Buffer.concat([Buffer.alloc(200, `${codec}-${i}-`), Buffer.from(sha256Hex(Buffer.from(`${codec}${i}`)), 'hex')]);
        const props = { index: String(i), codec, unicode: 'héllo-☃' };
        const eventTimeMs = EVENT_TIME_BASE + i;
        return producer
          .send({ payload, key, properties: props, eventTimeMs })
          .then((id) => sent.push({ codec, i, key, id, payload, props, eventTimeMs }));
      });
      await Promise.all(sends);
      await producer.close();
    }
    expect(sent).toHaveLength(perCodec * CODECS.length);
    // Every codec produced multi-message batches.
    for (const codec of CODECS) {
      expect(
        sent.some((s) => s.codec === codec.toLowerCase() && s.id.batchSize > 1),
        codec,
      ).toBe(true);
    }

    const consumed = await javaConsume({
      ...conn,
      topic,
      subscription: 'java',
      count: sent.length,
      initial: 'earliest',
      receiveTimeoutMs: 30_000,
    });
    expect(consumed.timedOut).toBe(false);
    expect(consumed.messages).toHaveLength(sent.length);
    const byId = new Map(consumed.messages.map((m) => [m.id, m]));
    for (const s of sent) {
      const m = byId.get(idText(s.id));
      expect(m, `${s.codec} #${s.i} ${idText(s.id)}`).toBeDefined();
      if (m === undefined) continue;
      expect(m.key).toBe(s.key);
      expect(m.properties).toEqual(s.props);
      expect(m.eventTime).toBe(s.eventTimeMs);
      expect(m.producerName).toBe(`ours-${s.codec}`);
      expect(m.payload?.equals(s.payload)).toBe(true);
      expect(m.payloadSha256).toBe(sha256Hex(s.payload));
    }
  });

  it('keyed messages land on the same partitions as with the Java client (JavaStringHash and Murmur3)', async () => {
    const partitions = 7;
    const prefix = 'ключ-☃-';
    const keys = Array.from({ length: 40 }, (_, i) => `${prefix}${i}`);
    // Edge cases of String.hashCode: a hash of Integer.MIN_VALUE, colliding keys, one char, long text.
    const extra = ['polygenelubricants', 'Aa', 'BB', 'x', 'é', '😀-emoji', 'a'.repeat(300)];
    const all = [...keys, ...extra];
    const [java, murmurLines] = await Promise.all([
      javaPartitionOf(all, partitions),
      runJavaPeer('partition-of', { keys: all.join(','), partitions, hashing: 'Murmur3_32Hash' }, {}),
    ]);
    for (const k of all) expect(keyPartition(k, partitions, 'java-string'), k).toBe(java.get(k));
    const murmur = new Map(murmurLines.map((l) => [String(l['key']), Number(l['partition'])]));
    for (const k of all) expect(keyPartition(k, partitions, 'murmur3'), k).toBe(murmur.get(k));

    // Where our producer actually puts each key == where Java's producer actually puts it.
    const topic = topicName('interop-partitioned');
    await createPartitionedTopic(topic, partitions);
    const producer = await client.createProducer({ topic });
    const ours = await Promise.all(keys.map(async (key) => [key, (await producer.send({ payload: key, key })).partition] as const));
    await producer.close();
    const javaSent = await javaProduce({ ...conn, topic, count: keys.length * 2, keyPrefix: prefix, keys: keys.length });
    const javaLanded = new Map<string, Set<number>>();
    for (const m of javaSent.messages) {
      const set = javaLanded.get(m.key as string) ?? new Set<number>();
      set.add(m.partition);
      javaLanded.set(m.key as string, set);
    }
    for (const [key, partition] of ours) {
      expect(partition, key).toBe(java.get(key));
      expect([...(javaLanded.get(key) ?? [])], key).toEqual([partition]);
    }
    // Not everything on one partition.
    expect(new Set(ours.map(([, p]) => p)).size).toBeGreaterThan(3);
  });

  it('Key_Shared: Java and our keyed messages (ours key-based batched) split by key between two of our consumers', async () => {
    const topic = topicName('interop-keyshared');
    const sub = {
      topic,
      subscription: 'ks',
      subscriptionType: 'Key_Shared' as const,
      initialPosition: 'Earliest' as const,
      receiverQueueSize: 50,
    };
    const c1 = await client.subscribe({ ...sub, consumerName: 'c1' });
    const c2 = await client.subscribe({ ...sub, consumerName: 'c2' });
    const keys = 20;
    const producer = await client.createProducer({
      topic,
      batchingType: 'key-based',
      batchingMaxMessages: 10,
      batchingMaxDelayMs: 20,
      name: 'ours-ks',
      compression: 'lz4',
    });
    const oursSent = Array.from({ length: 200 }, (_, i) => producer.send({ payload: `ours-${i}`, key: `k-${i % keys}` }));
    const oursIds = await Promise.all(oursSent);
    await producer.close();
    expect(oursIds.some((id) => id.batchSize > 1)).toBe(true);
    const javaSent = await javaProduce({ ...conn, topic, count: 100, batching: false, keyPrefix: 'k-', keys, producerName: 'java-ks' });
    expect(javaSent.sent).toBe(100);

    const total = 300;
    const seen: { c: string; m: Message }[] = [];
    await new Promise<void>((resolve, reject) => {
      const pump = async (name: string, c: typeof c1): Promise<void> => {
        while (seen.length < total) {
          let m: Message;
          try {
            m = await c.receive(15_000);
          } catch (err) {
            if (seen.length < total) reject(err as Error);
            return;
          }
          c.ack(m);
          seen.push({ c: name, m });
          if (seen.length === total) resolve();
        }
      };
      void pump('c1', c1);
      void pump('c2', c2);
    });
    await Promise.all([c1.close(), c2.close()]);
    expect(seen).toHaveLength(total);
    const owner = new Map<string, Set<string>>();
    for (const { c, m } of seen) {
      const s = owner.get(m.key as string) ?? new Set<string>();
      s.add(c);
      owner.set(m.key as string, s);
    }
    expect(owner.size).toBe(keys);
    // Each key is owned by exactly one consumer, and both consumers got keys.
    for (const [key, s] of owner) expect(s.size, key).toBe(1);
    expect(new Set(seen.map((s) => s.c)).size).toBe(2);
    // Per key and producer, order is kept.
    for (const producerName of ['ours-ks', 'java-ks']) {
      for (let k = 0; k < keys; k++) {
        const seq = seen.filter((s) => s.m.producerName === producerName && s.m.key === `k-${k}`).map((s) => s.m.payload.toString());
        const index = (p: string): number => Number(/(\d+)$/.exec(p)?.[1]);
        expect(seq.map(index)).toEqual([...seq.map(index)].sort((a, b) => a - b));
      }
    }
    // The Java messages' payloads are the peer's text.
    const javaPayloads = seen
      .filter((s) => s.m.producerName === 'java-ks')
      .map((s) => s.m.payload.toString())
      .sort();
    expect(javaPayloads).toEqual(Array.from({ length: 100 }, (_, i) => javaPeerPayload(i).toString()).sort());
  });
});

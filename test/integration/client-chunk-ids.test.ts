/**
 * Chunked-message ids agree with the official Java client both ways (issue #16): an id carries
 * the first and the last chunk's positions (MessageIdData.first_chunk_message_id), survives
 * toBytes/fromBytes in either client, and inclusive readers and seeks given it start at the first
 * chunk, so they read the whole message, at 2 and at 3 chunks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageId, type Message, type Reader } from '@beamline/pulsar';
import { ensureJavaPeer, javaPeerPayload, javaRead, runJavaPeer, sha256Hex, type JavaProducedMessage } from '../support/java-peer.ts';
import { cleanupTopics, env, newClient, topicName } from './client-support.ts';

const client = newClient({ operationTimeoutMs: 30_000 });
beforeAll(() => {
  ensureJavaPeer();
}, 600_000);
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

/** Small chunks keep the messages small: 2 chunks at 1,500 bytes, 3 at 2,500. */
const CHUNK_BYTES = 1000;
const CASES = [
  { chunks: 2, size: 1500 },
  { chunks: 3, size: 2500 },
] as const;

async function first(r: Reader): Promise<Message> {
  try {
    return await r.readNext(20_000);
  } finally {
    await r.close();
  }
}

function chunkCount(id: MessageId): number {
  const f = id.firstChunkId;
  return f === undefined ? 1 : Number(id.entryId - f.entryId) + 1;
}

describe.each(CASES)('a message of $chunks chunks', ({ chunks, size }) => {
  it('Beamline’s id carries the first chunk, round-trips through bytes, and starts inclusive readers and seeks at the whole message, in Beamline and in the Java client', async () => {
    const topic = topicName(`chunk-id-ts-${chunks}`);
    const producer = await client.createProducer({ topic, batching: false, chunking: true, chunkMaxMessageBytes: CHUNK_BYTES });
    const before = await producer.send('before');
    const payload = javaPeerPayload(1, size);
    const id = await producer.send(payload);
    const after = await producer.send('after');
    await producer.close();

    expect(chunkCount(id)).toBe(chunks);
    expect(id.firstChunkId?.compareTo(before)).toBe(1);
    const back = MessageId.fromBytes(id.toBytes());
    expect(back.equals(id)).toBe(true);
    expect(back.firstChunkId?.toString()).toBe(id.firstChunkId?.toString());

    // Our consumer hands out the same id (first chunk included).
    const consumer = await client.subscribe({ topic, subscription: 'ids', initialPosition: 'Earliest' });
    const received = [await consumer.receive(20_000), await consumer.receive(20_000)];
    await consumer.close();
    expect(received[1]?.id.equals(id)).toBe(true);
    expect(received[1]?.id.firstChunkId?.toString()).toBe(id.firstChunkId?.toString());

    // Beamline: inclusive reader, seek, and exclusive reader from the parsed id.
    const inclusive = await first(await client.createReader({ topic, startMessageId: back, startMessageIdInclusive: true }));
    expect(sha256Hex(inclusive.payload)).toBe(sha256Hex(payload));
    expect(inclusive.id.equals(id)).toBe(true);
    const seeker = await client.createReader({ topic, startMessageId: 'earliest' });
    await seeker.seek(back);
    expect(sha256Hex((await first(seeker)).payload)).toBe(sha256Hex(payload));
    const exclusive = await first(await client.createReader({ topic, startMessageId: back }));
    expect(exclusive.id.equals(after)).toBe(true);

    // Java: the same bytes start its inclusive reader and its seek at the whole message.
    const javaInclusive = await javaRead({ serviceUrl: env.serviceUrl, token: env.token, topic, startId: id.toBytes(), inclusive: true });
    expect(javaInclusive.map((m) => m.payloadSha256)).toEqual([sha256Hex(payload)]);
    expect(javaInclusive[0]?.id).toBe(id.toString());
    expect(javaInclusive[0]?.firstChunkId).toBe(id.firstChunkId?.toString());
    // Java's own serialization of that id parses to ours.
    const javaId = MessageId.fromBytes(Buffer.from(javaInclusive[0]?.idBytes ?? '', 'base64'));
    expect(javaId.equals(id)).toBe(true);
    expect(javaId.firstChunkId?.toString()).toBe(id.firstChunkId?.toString());
    const javaSeek = await javaRead({ serviceUrl: env.serviceUrl, token: env.token, topic, startId: id.toBytes(), seek: true });
    expect(javaSeek.map((m) => m.payloadSha256)).toEqual([sha256Hex(payload)]);
  }, 180_000);

  it('the Java client’s id parses with its first chunk and starts Beamline’s inclusive readers and seeks at the whole message', async () => {
    const topic = topicName(`chunk-id-java-${chunks}`);
    const lines = await runJavaPeer(
      'produce',
      {
        'service-url': env.serviceUrl,
        topic,
        count: 3,
        batching: false,
        chunking: true,
        'chunk-size': CHUNK_BYTES,
        'payload-sizes': `10,${size},10`,
      },
      { token: env.token, timeoutMs: 120_000 },
    );
    const produced = lines.filter((l) => l['summary'] !== true) as unknown as JavaProducedMessage[];
    const java = produced[1] as JavaProducedMessage;
    const id = MessageId.fromBytes(Buffer.from(java.idBytes, 'base64'));
    expect(id.toString()).toBe(java.id);
    expect(id.firstChunkId?.toString()).toBe(java.firstChunkId);
    expect(chunkCount(id)).toBe(chunks);
    // The Java client also writes batch_size 0 (ours omits it): both serializations parse alike.
    const again = MessageId.fromBytes(id.toBytes());
    expect(again.equals(id)).toBe(true);
    expect(again.firstChunkId?.toString()).toBe(java.firstChunkId);

    const consumer = await client.subscribe({ topic, subscription: 'ids', initialPosition: 'Earliest' });
    const received = [await consumer.receive(20_000), await consumer.receive(20_000)];
    await consumer.close();
    expect(received[1]?.id.toString()).toBe(java.id);
    expect(received[1]?.id.firstChunkId?.toString()).toBe(java.firstChunkId);

    const inclusive = await first(await client.createReader({ topic, startMessageId: id, startMessageIdInclusive: true }));
    expect(sha256Hex(inclusive.payload)).toBe(java.payloadSha256);
    const seeker = await client.createReader({ topic, startMessageId: 'earliest' });
    await seeker.seek(id);
    expect(sha256Hex((await first(seeker)).payload)).toBe(java.payloadSha256);
  }, 180_000);
});

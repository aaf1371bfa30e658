/**
 * Chunked messages of 1, 10 and 50 MB (over the broker's 5 MB frame limit) between Beamline's
 * client and the official Java client, in both directions, checked by SHA-256. One JVM per
 * direction keeps the runtime down. Acking a chunked message acks every chunk: a fresh consumer
 * on the same subscription finds nothing left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '@beamline/pulsar';
import { ensureJavaPeer, javaPeerPayload, runJavaPeer, sha256Hex, startJavaConsume } from '../support/java-peer.ts';
import { cleanupTopics, env, newClient, topicName } from './client-support.ts';

const MB = 1024 * 1024;
const SIZES = [1 * MB, 10 * MB, 50 * MB];

const client = newClient({ operationTimeoutMs: 30_000 });
beforeAll(() => {
  ensureJavaPeer();
}, 600_000);
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

describe('chunking interop with the Java client', () => {
  it('our chunked 1/10/50 MB messages reach a Java consumer intact', async () => {
    const topic = topicName('chunk-ts-to-java');
    const java = startJavaConsume({
      serviceUrl: env.serviceUrl,
      token: env.token,
      topic,
      subscription: 'java',
      count: SIZES.length,
      receiveTimeoutMs: 60_000,
    });
    await java.subscribed;
    const producer = await client.createProducer({ topic, chunking: true, batching: false, sendTimeoutMs: 120_000 });
    const payloads = SIZES.map((size, i) => javaPeerPayload(i, size));
    for (const p of payloads) await producer.send(p);
    await producer.close();
    const got = await java.result;
    expect(got.timedOut).toBe(false);
    expect(got.messages.map((m) => m.payloadSize)).toEqual(SIZES);
    expect(got.messages.map((m) => m.payloadSha256)).toEqual(payloads.map((p) => sha256Hex(p)));
  }, 180_000);

  it('a Java producer’s chunked 1/10/50 MB messages reach our consumer intact, and one ack covers all chunks', async () => {
    const topic = topicName('chunk-java-to-ts');
    const consumer = await client.subscribe({ topic, subscription: 'ts', initialPosition: 'Earliest', receiverQueueSize: 100 });
    await runJavaPeer(
      'produce',
      {
        'service-url': env.serviceUrl,
        topic,
        count: SIZES.length,
        chunking: true,
        'chunk-size': 1 * MB,
        'payload-sizes': SIZES.join(','),
        batching: false,
      },
      { token: env.token, timeoutMs: 150_000 },
    );
    const got: Message[] = [];
    for (let i = 0; i < SIZES.length; i++) got.push(await consumer.receive(60_000));
    expect(got.map((m) => m.payload.length)).toEqual(SIZES);
    expect(got.map((m) => sha256Hex(m.payload))).toEqual(SIZES.map((s, i) => sha256Hex(javaPeerPayload(i, s))));
    for (const m of got) consumer.ack(m);
    await consumer.close();
    const again = await client.subscribe({ topic, subscription: 'ts' });
    await expect(again.receive(2_000)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
    await again.close();
  }, 180_000);
});

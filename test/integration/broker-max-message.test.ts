/**
 * The largest message the project's broker accepts, chunked and not, from Beamline and from the
 * official Java client (issue #16). A non-chunked message of exactly maxMessageSize, and full-size
 * chunks, make entries that reach the storage layer's frame limit; with that limit equal to
 * maxMessageSize the bookie refused them and the broker retried forever (thousands of ledgers,
 * gigabytes of data). This file starts its own broker (`maxsize`, offset 170) because the shared
 * ones may run an older configuration; run it under `flock /tmp/bl-own-brokers.lock`.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type PulsarClient } from '@beamline/pulsar';
import { MAX_MESSAGE_SIZE_BYTES, startBroker, stopBroker, type BrokerInfo } from '../../local-broker/index.ts';
import { ensureJavaPeer, javaPeerPayload, runJavaPeer, sha256Hex } from '../support/java-peer.ts';
import { testBrokerOffset } from '../support/pulsar-env.ts';

const NAME = 'maxsize';
const OFFSET = testBrokerOffset(70); // 170 by default; relative, so a soak on another base never meets it
const log = (line: string): void => void process.stderr.write(`[pulsar ${NAME}] ${line}\n`);
/** A chunked message of two full chunks and a bit more. */
const CHUNKED_BYTES = 2 * MAX_MESSAGE_SIZE_BYTES + 123_457;

let broker: BrokerInfo;
let client: PulsarClient | undefined;

beforeAll(async () => {
  ensureJavaPeer();
  await stopBroker(NAME);
  broker = await startBroker({ name: NAME, offset: OFFSET, log });
}, 600_000);

afterAll(async () => {
  await client?.close();
  await stopBroker(NAME);
}, 60_000);

function bytesUnder(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    total += st.isDirectory() ? bytesUnder(p) : st.size;
  }
  return total;
}

/** Sends the largest non-chunked payload the Java client lets through to `topic`; returns its size. */
async function largestJavaPayload(topic: string): Promise<number> {
  const send = (size: number): Promise<unknown> =>
    runJavaPeer(
      'produce',
      { 'service-url': broker.serviceUrl, topic, count: 1, batching: false, 'payload-size': size, 'producer-name': 'java-max' },
      { timeoutMs: 120_000 },
    );
  try {
    await send(MAX_MESSAGE_SIZE_BYTES);
    return MAX_MESSAGE_SIZE_BYTES;
  } catch (err) {
    // "... sends a message with N bytes that exceeds M bytes": N - M bytes of metadata.
    const m = /with (\d+) bytes that exceeds (\d+) bytes/.exec((err as Error).message);
    if (m === null) throw err;
    const size = MAX_MESSAGE_SIZE_BYTES - (Number(m[1]) - Number(m[2]));
    await send(size);
    return size;
  }
}

async function ledgersOf(topic: string): Promise<number> {
  const res = await fetch(`${broker.adminUrl}/admin/v2/persistent/public/default/${topic}/internalStats`);
  expect(res.status).toBe(200);
  const stats = (await res.json()) as { ledgers: unknown[] };
  return stats.ledgers.length;
}

describe('the largest message the broker accepts', () => {
  it('is stored and read back, chunked and not, from Beamline and from the Java client, and the broker stays healthy', async () => {
    client = createClient({ serviceUrl: broker.serviceUrl, operationTimeoutMs: 30_000 });
    const storage = join(broker.dir, 'data', 'bookkeeper');
    const storedBefore = bytesUnder(storage);
    const run = Date.now().toString(36);
    const topics = {
      plain: `max-plain-${run}`,
      chunked: `max-chunked-${run}`,
      javaPlain: `max-java-plain-${run}`,
      javaChunked: `max-java-chunked-${run}`,
    };
    const url = (t: string): string => `persistent://public/default/${t}`;

    // Beamline, not chunked: exactly maxMessageSize; chunked: full chunks.
    const plain = javaPeerPayload(0, MAX_MESSAGE_SIZE_BYTES);
    const p1 = await client.createProducer({ topic: url(topics.plain), batching: false, sendTimeoutMs: 60_000 });
    await p1.send(plain);
    await p1.close();
    const chunked = javaPeerPayload(1, CHUNKED_BYTES);
    const p2 = await client.createProducer({ topic: url(topics.chunked), batching: false, chunking: true, sendTimeoutMs: 60_000 });
    const chunkedId = await p2.send(chunked);
    await p2.close();
    expect(chunkedId.firstChunkId).toBeDefined();

    // Java, not chunked: the Java client counts the metadata against maxMessageSize, so its
    // largest payload is maxMessageSize less the metadata it reports when refusing one byte more.
    const javaPlainBytes = await largestJavaPayload(url(topics.javaPlain));
    expect(javaPlainBytes).toBeGreaterThan(MAX_MESSAGE_SIZE_BYTES - 1024);
    // Java, chunked at full-size chunks.
    await runJavaPeer(
      'produce',
      {
        'service-url': broker.serviceUrl,
        topic: url(topics.javaChunked),
        count: 1,
        chunking: true,
        'chunk-size': MAX_MESSAGE_SIZE_BYTES,
        'payload-size': CHUNKED_BYTES,
        'producer-name': 'java-max',
      },
      { timeoutMs: 120_000 },
    );

    const expected: Array<[string, Buffer]> = [
      [topics.plain, plain],
      [topics.chunked, chunked],
      [topics.javaPlain, javaPeerPayload(0, javaPlainBytes)],
      [topics.javaChunked, javaPeerPayload(0, CHUNKED_BYTES)],
    ];
    for (const [topic, payload] of expected) {
      const consumer = await client.subscribe({
        topic: url(topic),
        subscription: 'max',
        initialPosition: 'Earliest',
        receiverQueueSize: 10,
      });
      const m = await consumer.receive(60_000);
      expect({ topic, size: m.payload.length, sha: sha256Hex(m.payload) }).toEqual({
        topic,
        size: payload.length,
        sha: sha256Hex(payload),
      });
      consumer.ack(m);
      await consumer.close();
    }

    // Healthy afterwards: no ledger churn on any topic, storage grown by about what was written.
    await new Promise((r) => setTimeout(r, 5_000));
    for (const topic of Object.values(topics)) expect(await ledgersOf(topic)).toBeLessThanOrEqual(2);
    const written = expected.reduce((n, [, p]) => n + p.length, 0);
    const grown = bytesUnder(storage) - storedBefore;
    log(`stored ${written} bytes of messages; storage grew by ${grown} bytes`);
    // Journal plus entry log hold each entry twice; the broken setup grew by gigabytes.
    expect(grown).toBeLessThan(4 * written + 64 * 1024 * 1024);
    const health = await fetch(`${broker.adminUrl}/admin/v2/brokers/health`);
    expect(health.status).toBe(200);
    const p3 = await client.createProducer({ topic: url(`max-after-${run}`), batching: false });
    await p3.send('still fine');
    await p3.close();
  }, 600_000);
});

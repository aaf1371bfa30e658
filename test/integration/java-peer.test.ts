/**
 * The Java interop peer works against the real broker, so later interop tests can trust it as
 * the reference: what the official Java client writes, it reads back byte for byte, and its
 * key router answers the same as the producer's actual routing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureJavaPeer,
  javaConsume,
  javaPartitionOf,
  javaPeerPayload,
  javaProduce,
  sha256Hex,
  startJavaConsume,
} from '../support/java-peer.ts';
import { pulsarEnv, uniqueName } from '../support/pulsar-env.ts';

const env = pulsarEnv();
const tenant = uniqueName('javapeer');
const ns = `${tenant}/interop`;

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${env.adminUrl}/admin/v2${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(env.token === undefined ? {} : { authorization: `Bearer ${env.token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('Java interop peer (official Apache Pulsar Java client) against the real broker', () => {
  beforeAll(async () => {
    // First run resolves jars with Maven; later runs hit the cache.
    ensureJavaPeer();
    expect((await admin('PUT', `/tenants/${tenant}`, { adminRoles: [], allowedClusters: [env.cluster] })).status).toBe(204);
    expect((await admin('PUT', `/namespaces/${ns}`)).status).toBe(204);
  }, 600_000);

  afterAll(async () => {
    await admin('DELETE', `/namespaces/${ns}?force=true`);
    await admin('DELETE', `/tenants/${tenant}?force=true`);
  });

  it('reads back keyed, batched, LZ4-compressed messages with identical keys, properties, event times and payloads', async () => {
    const topic = `persistent://${ns}/${uniqueName('keyed')}`;
    const count = 120;
    const produced = await javaProduce({
      serviceUrl: env.serviceUrl,
      token: env.token,
      topic,
      count,
      batching: true,
      batchMax: 50,
      compression: 'LZ4',
      keyPrefix: 'user-',
      keys: 7,
      withProperties: true,
      eventTime: true,
    });
    expect(produced.sent).toBe(count);
    expect(produced.messages).toHaveLength(count);
    // Batching really happened: several messages share one entry.
    const entries = new Set(produced.messages.map((m) => m.id.split(':').slice(0, 2).join(':')));
    expect(entries.size).toBeLessThan(count);

    const consumed = await javaConsume({
      serviceUrl: env.serviceUrl,
      token: env.token,
      topic,
      subscription: uniqueName('sub'),
      count,
      initial: 'earliest',
      receiveTimeoutMs: 30_000,
    });
    expect(consumed.timedOut).toBe(false);
    expect(consumed.messages).toHaveLength(count);

    for (const [i, got] of consumed.messages.entries()) {
      const sent = produced.messages[i];
      expect(sent).toBeDefined();
      if (sent === undefined) continue;
      expect(got.id).toBe(sent.id);
      expect(got.key).toBe(`user-${i % 7}`);
      expect(got.key).toBe(sent.key);
      expect(got.properties).toEqual(sent.properties);
      expect(got.properties).toEqual({ index: String(i), origin: 'java-peer', unicode: 'héllo-☃' });
      expect(got.eventTime).toBe(sent.eventTime);
      expect(got.eventTime).toBe(Date.UTC(2020, 0, 1) + i);
      expect(got.payloadSha256).toBe(sent.payloadSha256);
      expect(got.payload).toEqual(javaPeerPayload(i));
      expect(sha256Hex(javaPeerPayload(i))).toBe(got.payloadSha256);
      expect(got.redeliveryCount).toBe(0);
    }
  });

  it('reassembles a chunked 200 KiB payload (chunking on, batching off)', async () => {
    const topic = `persistent://${ns}/${uniqueName('chunked')}`;
    const size = 200 * 1024;
    const produced = await javaProduce({
      serviceUrl: env.serviceUrl,
      token: env.token,
      topic,
      count: 2,
      chunking: true,
      chunkSize: 64 * 1024,
      payloadSize: size,
    });
    const consumed = await javaConsume({ serviceUrl: env.serviceUrl, token: env.token, topic, subscription: 'chunks', count: 2 });
    expect(consumed.messages.map((m) => m.payloadSize)).toEqual([size, size]);
    expect(consumed.messages.map((m) => m.payloadSha256)).toEqual(produced.messages.map((m) => m.payloadSha256));
    expect(consumed.messages[1]?.payloadSha256).toBe(sha256Hex(javaPeerPayload(1, size)));
    // Large payloads are compared by hash only.
    expect(consumed.messages[0]?.payload).toBeNull();
  });

  it('a consumer subscribed at the latest position sees only what is produced after it subscribed', async () => {
    const topic = `persistent://${ns}/${uniqueName('latest')}`;
    const conn = { serviceUrl: env.serviceUrl, token: env.token, topic };
    await javaProduce({ ...conn, count: 5, producerName: 'before' });
    const handle = startJavaConsume({
      ...conn,
      subscription: 'late',
      count: 4,
      initial: 'latest',
      type: 'Shared',
      receiveTimeoutMs: 30_000,
    });
    await handle.subscribed;
    await javaProduce({ ...conn, count: 4, producerName: 'after', compression: 'ZSTD' });
    const consumed = await handle.result;
    expect(consumed.messages.map((m) => m.producerName)).toEqual(['after', 'after', 'after', 'after']);
    expect(consumed.messages.map((m) => m.payload?.toString('utf8'))).toEqual([0, 1, 2, 3].map((i) => `java-peer-message-${i}`));
  });

  it('transactions: committed messages are delivered, aborted ones never are', async () => {
    const topic = `persistent://${ns}/${uniqueName('txn')}`;
    const conn = { serviceUrl: env.serviceUrl, token: env.token, topic };
    const committed = await javaProduce({ ...conn, count: 3, txn: true, producerName: 'committer' });
    expect(committed.txn).toBe('committed');
    const aborted = await javaProduce({ ...conn, count: 2, txn: true, abort: true, producerName: 'aborter' });
    expect(aborted.txn).toBe('aborted');
    const consumed = await javaConsume({ ...conn, subscription: 'txn-reader', count: 5, receiveTimeoutMs: 3_000 });
    expect(consumed.timedOut).toBe(true);
    expect(consumed.messages.map((m) => m.producerName)).toEqual(['committer', 'committer', 'committer']);
    expect(consumed.messages.map((m) => m.id)).toEqual(committed.messages.map((m) => m.id));
  });

  it('transactional acks: an aborted ack leaves messages for the next consumer, a committed one does not', async () => {
    const topic = `persistent://${ns}/${uniqueName('txnack')}`;
    const conn = { serviceUrl: env.serviceUrl, token: env.token, topic, subscription: 'txn-acker' };
    await javaProduce({ serviceUrl: env.serviceUrl, token: env.token, topic, count: 3 });
    const aborted = await javaConsume({ ...conn, count: 3, txnAck: 'abort' });
    expect(aborted.txn).toBe('aborted');
    const again = await javaConsume({ ...conn, count: 3, txnAck: 'commit' });
    expect(again.txn).toBe('committed');
    expect(again.messages.map((m) => m.id)).toEqual(aborted.messages.map((m) => m.id));
    const after = await javaConsume({ ...conn, count: 1, receiveTimeoutMs: 2_000 });
    expect(after.received).toBe(0);
  });

  it('partition-of is stable, follows JavaStringHash, and matches where the Java producer really routes keys', async () => {
    const keys = ['a', 'b', 'user-0', 'user-1', 'user-2', 'user-3', 'user-4', 'user-5', 'user-6', 'héllo', ''];
    const first = await javaPartitionOf(keys, 4);
    const second = await javaPartitionOf(keys, 4);
    expect([...second]).toEqual([...first]);
    // JavaStringHash is String.hashCode; 'a' is 97 and 'b' is 98.
    expect(first.get('a')).toBe(1);
    expect(first.get('b')).toBe(2);
    expect(first.get('')).toBe(0);

    const name = uniqueName('routed');
    expect((await admin('PUT', `/persistent/${ns}/${name}/partitions`, 4)).status).toBe(204);
    const produced = await javaProduce({
      serviceUrl: env.serviceUrl,
      token: env.token,
      topic: `persistent://${ns}/${name}`,
      count: 28,
      keyPrefix: 'user-',
      keys: 7,
    });
    const partitionsUsed = new Set<number>();
    for (const m of produced.messages) {
      expect(m.key).not.toBeNull();
      expect(m.partition).toBe(first.get(m.key ?? ''));
      partitionsUsed.add(m.partition);
    }
    expect(partitionsUsed.size).toBeGreaterThan(1);
  });
});

/**
 * Transactions across clients: the official Java client (scripts/java JavaPeer) sees only what
 * Beamline's client committed, and Beamline's consumer never sees what a Java transactional
 * producer aborted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNothing, receiveCount } from '../support/receive.ts';
import { ensureJavaPeer, javaConsume, javaPeerPayload, javaProduce } from '../support/java-peer.ts';
import { cleanupTopics, env, newClient, topicName } from './client-support.ts';

const client = newClient();
beforeAll(() => {
  ensureJavaPeer();
}, 600_000);
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

describe('transactions interop with the Java client', () => {
  it('a Java consumer sees only our committed transactional messages', async () => {
    const topic = topicName('txn-ts-to-java');
    const producer = await client.createProducer({ topic });
    const aborted = await client.newTransaction();
    const committed = await client.newTransaction();
    await Promise.all(Array.from({ length: 10 }, (_, i) => producer.send(`aborted-${i}`, { txn: aborted })));
    await Promise.all(Array.from({ length: 10 }, (_, i) => producer.send(`committed-${i}`, { txn: committed })));
    await aborted.abort();
    await committed.commit();
    // A plain, non-transactional message after both, so the Java side knows where the end is.
    await producer.send('end');
    const got = await javaConsume({
      serviceUrl: env.serviceUrl,
      token: env.token,
      topic,
      subscription: 'java',
      count: 11,
      receiveTimeoutMs: 15_000,
    });
    expect(got.timedOut).toBe(false);
    const payloads = got.messages.map((m) => m.payload?.toString() ?? '');
    expect(payloads.filter((p) => p.startsWith('committed-')).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `committed-${i}`).sort(),
    );
    expect(payloads.filter((p) => p.startsWith('aborted-'))).toEqual([]);
    expect(payloads).toContain('end');
    await producer.close();
  }, 120_000);

  it('our consumer never sees a Java transactional producer’s aborted messages, and sees its committed ones', async () => {
    const topic = topicName('txn-java-to-ts');
    const consumer = await client.subscribe({ topic, subscription: 'ts', initialPosition: 'Earliest' });
    const ab = await javaProduce({
      serviceUrl: env.serviceUrl,
      token: env.token,
      topic,
      count: 15,
      txn: true,
      abort: true,
      batching: false,
    });
    expect(ab.txn).toBe('aborted');
    const ok = await javaProduce({ serviceUrl: env.serviceUrl, token: env.token, topic, count: 5, txn: true, batching: false });
    expect(ok.txn).toBe('committed');
    // The five committed ones (up to 30 s), then nothing more: aborted ones never come.
    const got = await receiveCount(consumer, 5);
    await expectNothing(consumer, 3000);
    // Both runs produce payloads 0..n-1; only the committed run's five may arrive, once each.
    expect(got.map((m) => m.payload.toString()).sort()).toEqual(Array.from({ length: 5 }, (_, i) => javaPeerPayload(i).toString()).sort());
    const entries = (id: string): string => id.split(':').slice(0, 2).join(':');
    expect(got.map((m) => `${m.id.ledgerId}:${m.id.entryId}`).sort()).toEqual(ok.messages.map((m) => entries(m.id)).sort());
    await consumer.close();
  }, 120_000);
});

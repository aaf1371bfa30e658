/**
 * Reconnect: the shared dev broker cannot be restarted from a test, so the client's socket is
 * killed instead. Producers resend pending messages in order; consumers resubscribe and get
 * everything not acknowledged; nothing acknowledged comes back.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { receiveUntil } from '../support/receive.ts';
import { cleanupTopics, newClient, topicName } from './client-support.ts';

const client = newClient({ initialBackoffMs: 50, maxBackoffMs: 500 });
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

describe('reconnect after the connection is lost', () => {
  it('loses no message and re-delivers only unacknowledged ones', async () => {
    const topic = topicName('reconnect');
    const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
    const producer = await client.createProducer({ topic, batchingMaxDelayMs: 5, name: `p-${Date.now()}` });
    const first = await Promise.all(Array.from({ length: 50 }, (_, i) => producer.send(`a${i}`)));
    expect(first).toHaveLength(50);
    const acked = new Set<string>();
    for (let i = 0; i < 25; i++) {
      const m = await consumer.receive(10_000);
      consumer.ack(m);
      acked.add(m.payload.toString());
    }
    await new Promise((r) => setImmediate(r));
    // Kill the (shared) connection while sends are in flight.
    const inflight = Array.from({ length: 50 }, (_, i) => producer.send(`b${i}`));
    const [conn] = await client.pool.connections();
    conn!.close('test: simulated socket loss');
    const second = await Promise.all(inflight);
    expect(second).toHaveLength(50);
    expect(producer.partitionProducers[0]!.state).toBe('ready');
    const seen = new Map<string, number>();
    const expected = [...Array.from({ length: 50 }, (_, i) => `a${i}`), ...Array.from({ length: 50 }, (_, i) => `b${i}`)].filter(
      (p) => !acked.has(p),
    );
    // Until every unacked message came (up to 30 s), then 3 s more in which no acked one may.
    await receiveUntil(
      consumer,
      (m) => {
        seen.set(m.payload.toString(), (seen.get(m.payload.toString()) ?? 0) + 1);
        consumer.ack(m);
      },
      () => expected.every((p) => seen.has(p)),
      { quietMs: 3000 },
    );
    // Everything not acked arrives (at least once); acked messages may reappear only if their
    // ack was still in flight when the socket died, which the ack flush before the kill avoids.
    expect([...seen.keys()].sort()).toEqual(expect.arrayContaining(expected.sort()));
    for (const p of acked) expect(seen.has(p)).toBe(false);
    expect(client.pool.size).toBe(1);
    await Promise.all([producer.close(), consumer.close()]);
  });

  it('a reader resumes after the last message it received', async () => {
    const topic = topicName('reconnect-reader');
    const producer = await client.createProducer({ topic, batching: false });
    for (let i = 0; i < 5; i++) await producer.send(`m${i}`);
    const reader = await client.createReader({ topic, startMessageId: 'earliest', receiverQueueSize: 2 });
    const got = [(await reader.readNext(5000)).payload.toString(), (await reader.readNext(5000)).payload.toString()];
    const [conn] = await client.pool.connections();
    conn!.close('test: simulated socket loss');
    for (let i = 0; i < 3; i++) got.push((await reader.readNext(10_000)).payload.toString());
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    await Promise.all([reader.close(), producer.close()]);
  });
});

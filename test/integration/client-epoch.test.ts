/**
 * Consumer epochs against the real broker: an Exclusive consumer rewinds (nack) while messages
 * stream in; the broker must tag its redelivery with the new epoch (or nothing would arrive,
 * since stale-epoch messages are dropped) and the application must see every message once,
 * except the nacked one, which comes exactly twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTopics, newClient, topicName } from './client-support.ts';

const client = newClient();
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

describe('consumer epoch on a real broker', () => {
  for (const subscriptionType of ['Exclusive', 'Failover'] as const) {
    it(`${subscriptionType}: a rewind mid-stream delivers everything once, the nacked message twice`, async () => {
      const topic = topicName(`epoch-${subscriptionType.toLowerCase()}`);
      const consumer = await client.subscribe({ topic, subscription: 's', subscriptionType, initialPosition: 'Earliest', receiverQueueSize: 20, negativeAckRedeliveryDelayMs: 0 });
      const producer = await client.createProducer({ topic, batchingMaxMessages: 10, batchingMaxDelayMs: 1 });
      const total = 400;
      const sending = Promise.all(Array.from({ length: total }, (_, i) => producer.send(`m${i}`)));
      const counts = new Map<string, number>();
      const first = await consumer.receive(10_000);
      counts.set(first.payload.toString(), 1);
      consumer.nack(first);
      for (;;) {
        let m;
        try {
          m = await consumer.receive(3000);
        } catch {
          break;
        }
        const p = m.payload.toString();
        counts.set(p, (counts.get(p) ?? 0) + 1);
        consumer.ack(m);
      }
      await sending;
      expect(counts.size).toBe(total);
      const twice = [...counts].filter(([, n]) => n > 1).map(([p]) => p);
      expect(twice).toEqual([first.payload.toString()]);
      expect(counts.get(first.payload.toString())).toBe(2);
      await producer.close();
      await consumer.close();
    });
  }
});

/**
 * Regex subscriptions follow their namespace through the broker's topic list watcher (PIP-145):
 * with the periodic re-list set to ten minutes, only the watcher can explain a new topic being
 * picked up during the test.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { topicsHash } from '../../functions/pulsar/client/index.ts';
import { CommandType } from '../../functions/pulsar/wire/index.ts';
import { cleanupTopics, newClient, topicName } from './client-support.ts';

const client = newClient();
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

describe('regex consumer with a topic list watcher', () => {
  it('subscribes a topic created after it subscribed, within a second, and receives its first message', async () => {
    // Short on purpose: the broker refuses watchers for patterns over 50 characters.
    const prefix = topicName('pw').split('/').pop()!;
    const first = `persistent://public/default/${prefix}-one`;
    const later = `persistent://public/default/${prefix}-two`;
    const p1 = await client.createProducer({ topic: first, batching: false });
    const consumer = await client.subscribe({
      topicsPattern: `public/default/${prefix}-.*`,
      subscription: 's',
      initialPosition: 'Earliest',
      patternAutoDiscoveryPeriodMs: 600_000,
    });
    expect(consumer.topics).toEqual([first]);

    const createdAt = performance.now();
    const p2 = await client.createProducer({ topic: later, batching: false });
    let subscribedAfterMs = -1;
    while (performance.now() - createdAt < 10_000) {
      if (consumer.topics.includes(later)) {
        subscribedAfterMs = performance.now() - createdAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(subscribedAfterMs).toBeGreaterThanOrEqual(0);
    expect(subscribedAfterMs).toBeLessThan(1000);

    await p2.send('first on the new topic');
    const m = await consumer.receive(10_000);
    expect(m.topic).toBe(later);
    expect(m.payload.toString()).toBe('first on the new topic');
    consumer.ack(m);
    await Promise.all([p1.close(), p2.close(), consumer.close()]);
  });

  it('computes topics_hash exactly as the broker does (a matching hash gets no topic list back)', async () => {
    const prefix = topicName('ph').split('/').pop()!;
    const topic = `persistent://public/default/${prefix}-one`;
    const p = await client.createProducer({ topic });
    const conn = (await client.pool.connections())[0]!;
    expect(conn.supportsTopicWatchers).toBe(true);
    const watch = async (hash: string): Promise<{ topic?: string[]; topics_hash?: string }> => {
      const requestId = conn.newRequestId();
      const watcherId = 1_000_000 + requestId;
      const r = await conn.request(
        {
          type: CommandType.WATCH_TOPIC_LIST,
          watchTopicList: {
            request_id: requestId,
            watcher_id: watcherId,
            namespace: 'public/default',
            topics_pattern: `persistent://public/default/${prefix}-.*`,
            topics_hash: hash,
          },
        },
        requestId,
        'watch topic list',
      );
      const closeId = conn.newRequestId();
      await conn.request(
        { type: CommandType.WATCH_TOPIC_LIST_CLOSE, watchTopicListClose: { request_id: closeId, watcher_id: watcherId } },
        closeId,
        'close watcher',
      );
      return r.watchTopicListSuccess!;
    };
    const matching = await watch(topicsHash([topic]));
    expect(matching.topics_hash).toBe(topicsHash([topic]));
    expect(matching.topic ?? []).toEqual([]);
    const stale = await watch(topicsHash([]));
    expect(stale.topic).toEqual([topic]);
    await p.close();
  });
});

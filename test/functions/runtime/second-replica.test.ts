import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { refuseSecondReplica } from '../../../functions/runtime/index.ts';
import type { TopicStats } from '../../../functions/pulsar/index.ts';

const topic = 'persistent://t/ns/events';
const statsWith = (consumers: unknown[] | undefined) => ({
  getStats: async (): Promise<TopicStats> => ({
    subscriptions: consumers === undefined ? {} : { 'beamline-worker': { msgBacklog: 0, consumers } },
  }),
});

describe('refuseSecondReplica (#17)', () => {
  it('lets the first replica of an unpartitioned namespace start', async () => {
    await expect(refuseSecondReplica(statsWith(undefined), topic, 'beamline-worker')).resolves.toBeUndefined();
    await expect(refuseSecondReplica(statsWith([]), topic, 'beamline-worker')).resolves.toBeUndefined();
    // A topic the broker does not know yet.
    const missing = { getStats: async () => Promise.reject(Object.assign(new Error('not found'), { status: 404 })) };
    await expect(refuseSecondReplica(missing, topic, 'beamline-worker')).resolves.toBeUndefined();
  });

  it('waits for a predecessor to go, then starts', async () => {
    const clock = new FakeClock();
    let listed = 1;
    const stats = { getStats: async (): Promise<TopicStats> => ({ subscriptions: { w: { consumers: Array.from({ length: listed }) } } }) };
    let done = false;
    const p = refuseSecondReplica(stats, topic, 'w', { clock, waitMs: 15_000 }).then(() => (done = true));
    await clock.advance(5_000);
    expect(done).toBe(false);
    listed = 0; // the killed predecessor's connection is closed now
    await clock.advance(1_000);
    await p;
    expect(done).toBe(true);
  });

  it('refuses a second one after waitMs with a retriable error naming the topic, the subscription and the fix', async () => {
    const clock = new FakeClock();
    const p = refuseSecondReplica(statsWith([{ consumerName: 'a' }]), topic, 'beamline-worker', { clock, waitMs: 15_000 }).catch(
      (e: unknown) => e,
    );
    await clock.advance(16_000);
    const err = await p;
    expect(err).toMatchObject({
      code: 'BL_WORKER_SECOND_REPLICA',
      retriable: true,
      details: { topic, subscription: 'beamline-worker', consumers: 1 },
    });
    expect(String((err as Error).message)).toMatch(
      /persistent:\/\/t\/ns\/events is not partitioned.*replicaCount 1.*partition its events and state topics/,
    );
  });

  it('passes other admin failures on', async () => {
    const down = { getStats: async () => Promise.reject(Object.assign(new Error('unauthorized'), { status: 401 })) };
    await expect(refuseSecondReplica(down, topic, 'beamline-worker')).rejects.toThrow('unauthorized');
  });
});

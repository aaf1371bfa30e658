import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { ConfigError } from '../../../../functions/errors.ts';
import { createClient, keyPartition, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { compileConsumerOptions, compileProducerOptions } from '../../../../functions/pulsar/api/index.ts';
import { CommandType } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

const topic = 'persistent://public/default/grow';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

/** A fake broker whose partition count for `topic` the test raises, as the admin API would. */
async function start(): Promise<{ b: FakeBroker; clock: FakeClock; grow: (n: number) => void }> {
  let partitions = 2;
  const b = await FakeBroker.start();
  let entry = 0;
  b.handler = (f, reply, s) => {
    const c = f.command;
    if (c.type === CommandType.PARTITIONED_METADATA) {
      const n = c.partitionMetadata!.topic === topic ? partitions : 0;
      reply({
        type: CommandType.PARTITIONED_METADATA_RESPONSE,
        partitionMetadataResponse: { request_id: c.partitionMetadata!.request_id, partitions: n },
      });
      return;
    }
    if (c.type === CommandType.SEND) {
      const send = c.send!;
      reply({
        type: CommandType.SEND_RECEIPT,
        send_receipt: {
          producer_id: send.producer_id,
          sequence_id: send.sequence_id,
          message_id: { ledgerId: 1n, entryId: BigInt(entry++) },
        },
      });
      return;
    }
    defaultHandler(f, reply, s);
  };
  broker = b;
  const clock = new FakeClock();
  client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock });
  return { b, clock, grow: (n) => (partitions = n) };
}

/** Partition topic of each producer id, from the PRODUCER commands the broker saw. */
function producerTopics(b: FakeBroker): Map<number, string> {
  return new Map(b.of(CommandType.PRODUCER).map((f) => [f.command.producer!.producer_id, f.command.producer!.topic]));
}

describe('partition growth', () => {
  it('a producer starts producing to added partitions and routes keys over the new count', async () => {
    const { b, clock, grow } = await start();
    const p = await client!.createProducer({ topic, batching: false, partitionsAutoUpdateIntervalMs: 1000 });
    expect(p.partitions).toBe(2);
    grow(4);
    await clock.advance(999);
    expect(b.of(CommandType.PARTITIONED_METADATA)).toHaveLength(1);
    await clock.advance(1);
    await until(() => p.partitions === 4, 'producers for the added partitions');
    expect([...producerTopics(b).values()].sort()).toEqual([0, 1, 2, 3].map((i) => `${topic}-partition-${i}`));

    // A key that hashes to another partition with 4 than with 2 partitions.
    const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find(
      (k) => keyPartition(k, 4, 'java-string') !== keyPartition(k, 2, 'java-string'),
    )!;
    const id = await p.send({ payload: 'x', key });
    expect(id.partition).toBe(keyPartition(key, 4, 'java-string'));
    const sent = b.of(CommandType.SEND).at(-1)!.command.send!;
    expect(producerTopics(b).get(sent.producer_id)).toBe(`${topic}-partition-${keyPartition(key, 4, 'java-string')}`);

    const keyless = await Promise.all(Array.from({ length: 8 }, (_, i) => p.send(`m${i}`)));
    expect(new Set(keyless.map((m) => m.partition))).toEqual(new Set([0, 1, 2, 3]));
  });

  it('a consumer subscribes added partitions from their earliest message, other partitions as configured', async () => {
    const { b, clock, grow } = await start();
    const c = await client!.subscribe({ topic, subscription: 's', partitionsAutoUpdateIntervalMs: 1000 });
    expect(c.topics.sort()).toEqual([`${topic}-partition-0`, `${topic}-partition-1`]);
    grow(3);
    await clock.advance(1000);
    await until(() => c.topics.length === 3, 'consumer of the added partition');
    const subs = b.of(CommandType.SUBSCRIBE).map((f) => f.command.subscribe!);
    expect(subs.map((s) => [s.topic, s.initialPosition])).toEqual([
      [`${topic}-partition-0`, 0],
      [`${topic}-partition-1`, 0],
      [`${topic}-partition-2`, 1],
    ]);
  });

  it('a partition added while the consumer is paused gets no FLOW until resume()', async () => {
    const { b, clock, grow } = await start();
    const c = await client!.subscribe({
      topic,
      subscription: 's',
      subscriptionType: 'Failover',
      receiverQueueSize: 3,
      partitionsAutoUpdateIntervalMs: 1000,
    });
    await b.waitFor(CommandType.FLOW, 2);
    c.pause();
    grow(3);
    for (let i = 0; i < 50 && c.topics.length < 3; i++) {
      await clock.advance(1000);
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => c.topics.length === 3 && c.topicConsumers.every((t) => t.state === 'ready'), 'the added partition subscribed');
    expect(b.of(CommandType.SUBSCRIBE)).toHaveLength(3);
    expect(b.of(CommandType.FLOW)).toHaveLength(2);
    c.resume();
    const flows = await b.waitFor(CommandType.FLOW, 3);
    expect(flows[2]!.command.flow!.messagePermits).toBe(3);
    expect(c.brokerPermits).toBe(9);
  });

  it("startPaused holds every partition's FLOW until resume()", async () => {
    const { b } = await start();
    const c = await client!.subscribe({ topic, subscription: 's', subscriptionType: 'Failover', startPaused: true, receiverQueueSize: 3 });
    expect(b.of(CommandType.SUBSCRIBE)).toHaveLength(2);
    expect(b.of(CommandType.FLOW)).toHaveLength(0);
    c.resume();
    const flows = await b.waitFor(CommandType.FLOW, 2);
    expect(flows.map((f) => f.command.flow!.messagePermits)).toEqual([3, 3]);
  });

  it('keeps checking every interval, and never for plain topics', async () => {
    const { b, clock, grow } = await start();
    const plain = await client!.subscribe({
      topic: 'persistent://public/default/plain',
      subscription: 's',
      partitionsAutoUpdateIntervalMs: 1000,
    });
    expect(clock.pendingTimers).toBe(0);
    const p = await client!.createProducer({ topic, batching: false, partitionsAutoUpdateIntervalMs: 1000 });
    await clock.advance(1000);
    await b.waitFor(CommandType.PARTITIONED_METADATA, 3);
    grow(3);
    // The next check is armed once the previous one is answered: step the clock until it ran.
    for (let i = 0; i < 50 && p.partitions < 3; i++) {
      await clock.advance(1000);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(p.partitions).toBe(3);
    expect(plain.topics).toEqual(['persistent://public/default/plain']);
    expect(
      b
        .of(CommandType.PARTITIONED_METADATA)
        .every((f) => f.command.partitionMetadata!.topic === topic || f.command.partitionMetadata!.topic.endsWith('/plain')),
    ).toBe(true);
    expect(b.of(CommandType.PARTITIONED_METADATA).filter((f) => f.command.partitionMetadata!.topic.endsWith('/plain'))).toHaveLength(1);
  });

  it('0 disables the checks', async () => {
    const { b, clock, grow } = await start();
    const p = await client!.createProducer({ topic, batching: false, partitionsAutoUpdateIntervalMs: 0 });
    const c = await client!.subscribe({ topic, subscription: 's', partitionsAutoUpdateIntervalMs: 0 });
    grow(5);
    await clock.advance(600_000);
    expect(clock.pendingTimers).toBe(0);
    expect(b.of(CommandType.PARTITIONED_METADATA)).toHaveLength(2);
    expect([p.partitions, c.topics.length]).toEqual([2, 2]);
  });

  it('validates the option', () => {
    expect(compileProducerOptions({ topic }).partitionsAutoUpdateIntervalMs).toBe(60_000);
    expect(compileConsumerOptions({ topic, subscription: 's' }).partitionsAutoUpdateIntervalMs).toBe(60_000);
    expect(() => compileProducerOptions({ topic, partitionsAutoUpdateIntervalMs: -1 })).toThrow(ConfigError);
    expect(compileConsumerOptions({ topic, subscription: 's' }).startPaused).toBe(false);
    expect(() => compileConsumerOptions({ topic, subscription: 's', startPaused: 'yes' as unknown as boolean })).toThrow(/startPaused/);
    expect(() => compileConsumerOptions({ topic, subscription: 's', partitionsAutoUpdateIntervalMs: 1.5 })).toThrow(ConfigError);
  });
});

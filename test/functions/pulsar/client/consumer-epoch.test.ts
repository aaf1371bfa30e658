/**
 * Consumer epochs (PIP-84): on Exclusive/Failover a redelivery rewinds to everything
 * unacknowledged, but messages the broker dispatched before it saw the REDELIVER are already on
 * the wire. The client bumps its epoch with the REDELIVER; the broker tags later dispatches with
 * the new epoch, and the client drops stale-epoch messages (returning their permits) instead of
 * handing the application a message the broker is about to send again.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type Consumer, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, encodePayloadCommand } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

async function setup(
  subscriptionType: 'Exclusive' | 'Shared',
): Promise<{ b: FakeBroker; clock: FakeClock; c: Consumer; consumerId: number }> {
  const b = await FakeBroker.start();
  b.handler = defaultHandler;
  broker = b;
  const clock = new FakeClock();
  client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock });
  const c = await client.subscribe({
    topic: 'persistent://public/default/t',
    subscription: 'sub',
    subscriptionType,
    negativeAckRedeliveryDelayMs: 100,
    receiverQueueSize: 10,
  });
  const consumerId = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;
  return { b, clock, c, consumerId };
}

function frame(consumerId: number, entryId: bigint, payload: string, epoch: number | undefined): Buffer {
  return encodePayloadCommand(
    {
      type: CommandType.MESSAGE,
      message: {
        consumer_id: consumerId,
        message_id: { ledgerId: 3n, entryId },
        ...(epoch === undefined ? {} : { consumer_epoch: epoch }),
      },
    },
    { producer_name: 'p', sequence_id: 0, publish_time: 1000 },
    Buffer.from(payload),
  );
}

describe('consumer epoch', () => {
  it('subscribes with epoch 0, bumps it with a rewind, and drops messages of the old epoch', async () => {
    const { b, c, consumerId, clock } = await setup('Exclusive');
    expect(b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_epoch).toBe(0);
    b.sockets[0]!.write(frame(consumerId, 1n, 'a', 0));
    const a = await c.receive();
    c.nack(a);
    await clock.advance(100);
    const [r] = await b.waitFor(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES);
    expect(r!.command.redeliverUnacknowledgedMessages!.consumer_epoch).toBe(1);
    // In flight before the broker saw the rewind: stale, dropped.
    b.sockets[0]!.write(frame(consumerId, 2n, 'stale', 0));
    // After the rewind: the broker's redelivery carries the new epoch.
    b.sockets[0]!.write(frame(consumerId, 1n, 'a-again', 1));
    b.sockets[0]!.write(frame(consumerId, 2n, 'b', 1));
    const got = [await c.receive(), await c.receive()].map((m) => m.payload.toString());
    expect(got).toEqual(['a-again', 'b']);
    expect(c.queued).toBe(0);
  });

  it('returns the permit of a dropped message so the receiver queue does not shrink', async () => {
    const { b, c, consumerId, clock } = await setup('Exclusive');
    const flowsBefore = () => b.of(CommandType.FLOW).reduce((n, f) => n + (f.command.flow!.messagePermits ?? 0), 0);
    b.sockets[0]!.write(frame(consumerId, 1n, 'a', 0));
    c.nack(await c.receive());
    await clock.advance(100);
    await b.waitFor(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES);
    const before = flowsBefore();
    for (let i = 0; i < 10; i++) b.sockets[0]!.write(frame(consumerId, BigInt(10 + i), `stale-${i}`, 0));
    // 10 dropped messages hand back 10 permits (refilled at half the queue, like taken ones).
    await until(() => flowsBefore() - before >= 10, 'permits of dropped messages to be returned');
    expect(c.queued).toBe(0);
  });

  it('ignores epochs on Shared subscriptions, which redeliver exact ids and never rewind', async () => {
    const { b, c, consumerId, clock } = await setup('Shared');
    b.sockets[0]!.write(frame(consumerId, 1n, 'a', 0));
    c.nack(await c.receive());
    await clock.advance(100);
    const [r] = await b.waitFor(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES);
    expect(r!.command.redeliverUnacknowledgedMessages!.consumer_epoch).toBeUndefined();
    b.sockets[0]!.write(frame(consumerId, 2n, 'b', 0));
    expect((await c.receive()).payload.toString()).toBe('b');
  });

  it('keeps its epoch across a reconnect (the broker learns it in SUBSCRIBE)', async () => {
    const { b, c, consumerId, clock } = await setup('Exclusive');
    b.sockets[0]!.write(frame(consumerId, 1n, 'a', 0));
    c.nack(await c.receive());
    await clock.advance(100);
    await b.waitFor(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES);
    b.sockets[0]!.destroy();
    await until(() => c.topicConsumers[0]?.state === 'connecting', 'consumer to notice the drop');
    await clock.advance(1000);
    const subs = await b.waitFor(CommandType.SUBSCRIBE, 2);
    expect(subs[1]!.command.subscribe!.consumer_epoch).toBe(1);
  });
});

/**
 * What the worker's priority lane (#26) needs of a consumer: wait for a buffered message without
 * taking it (so waiting on two consumers strands nothing), and take one without waiting.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, encodePayloadCommand } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

function frame(consumerId: number, entryId: bigint, payload: string): Buffer {
  return encodePayloadCommand(
    { type: CommandType.MESSAGE, message: { consumer_id: consumerId, message_id: { ledgerId: 3n, entryId } } },
    { producer_name: 'p', sequence_id: 0, publish_time: 1000 },
    Buffer.from(payload),
  );
}

describe('consumer whenQueued / takeQueued (#26)', () => {
  it('whenQueued resolves on arrival without taking the message; takeQueued takes it without waiting', async () => {
    const b = await FakeBroker.start();
    b.handler = defaultHandler;
    broker = b;
    const clock = new FakeClock();
    client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock });
    const c = await client.subscribe({ topic: 'persistent://public/default/t', subscription: 'sub', subscriptionType: 'Key_Shared' });
    const consumerId = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;

    expect(c.takeQueued()).toBeUndefined();
    let queued: boolean | undefined;
    void c.whenQueued(10_000).then((q) => (queued = q));
    b.sockets[0]!.write(frame(consumerId, 1n, 'a'));
    await until(() => queued !== undefined);
    expect(queued).toBe(true);
    // Still there: the wait took nothing.
    expect(c.queued).toBe(1);
    expect(c.takeQueued()?.payload.toString()).toBe('a');
    expect(c.queued).toBe(0);

    // Nothing arrives: false once the time is up.
    let timedOut: boolean | undefined;
    void c.whenQueued(500).then((q) => (timedOut = q));
    await clock.advance(499);
    expect(timedOut).toBeUndefined();
    await clock.advance(1);
    expect(timedOut).toBe(false);

    // A close ends a wait with false, and a closed consumer hands out nothing.
    let closed: boolean | undefined;
    void c.whenQueued(10_000).then((q) => (closed = q));
    await c.close();
    await until(() => closed !== undefined);
    expect(closed).toBe(false);
    expect(await c.whenQueued(10_000)).toBe(false);
    expect(c.takeQueued()).toBeUndefined();
  });
});

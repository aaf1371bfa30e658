import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient, type Reader } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, encodeCommand, encodePayloadCommand } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

const TOPIC = 'persistent://public/default/t';

/** A broker whose topic ends at entry 3:`lastEntry`. */
async function setup(
  lastEntry: bigint,
  opts: { startRollbackDurationMs?: number } = {},
): Promise<{ b: FakeBroker; clock: FakeClock; r: Reader; consumerId: number }> {
  const b = await FakeBroker.start();
  b.handler = (f, reply, s) => {
    const g = f.command.getLastMessageId;
    if (f.command.type === CommandType.GET_LAST_MESSAGE_ID && g !== undefined) {
      reply({
        type: CommandType.GET_LAST_MESSAGE_ID_RESPONSE,
        getLastMessageIdResponse: { request_id: g.request_id, last_message_id: { ledgerId: 3n, entryId: lastEntry } },
      });
      return;
    }
    defaultHandler(f, reply, s);
  };
  broker = b;
  const clock = new FakeClock();
  client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock });
  const r = await client.createReader({ topic: TOPIC, startMessageId: 'earliest', ...opts });
  const consumerId = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;
  return { b, clock, r, consumerId };
}

function entry(consumerId: number, entryId: bigint): Buffer {
  return encodePayloadCommand(
    { type: CommandType.MESSAGE, message: { consumer_id: consumerId, message_id: { ledgerId: 3n, entryId } } },
    { producer_name: 'p', sequence_id: Number(entryId), publish_time: 1000 },
    Buffer.from(`m${entryId}`),
  );
}

describe('reader start and hasMessageAvailable', () => {
  it('asks the broker to rewind by a duration in SUBSCRIBE, and resumes after the last message on a resubscribe', async () => {
    const { b, clock, r, consumerId } = await setup(5n, { startRollbackDurationMs: 1_500 });
    const first = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!;
    expect(first.durable).toBe(false);
    expect(Number(first.start_message_rollback_duration_sec)).toBe(2);
    expect(b.of(CommandType.SEEK)).toHaveLength(0);
    b.sockets[0]!.write(entry(consumerId, 4n));
    expect((await r.readNext(1000)).payload.toString()).toBe('m4');
    b.sockets[0]!.write(encodeCommand({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: consumerId, request_id: 1 } }));
    // The reconnect backoff runs on the fake clock: move it until the reader subscribes again.
    for (let i = 0; i < 100 && b.of(CommandType.SUBSCRIBE).length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await clock.advance(200);
    }
    const [, again] = await b.waitFor(CommandType.SUBSCRIBE, 2);
    const sub = again!.command.subscribe!;
    // Asked again, the rewind would move the new cursor back before m4.
    expect(sub.start_message_rollback_duration_sec ?? 0).toBe(0);
    expect(sub.start_message_id).toMatchObject({ ledgerId: 3n, entryId: 4n });
  });

  it('waits for a message the broker already named instead of asking again for each one', async () => {
    const { b, clock, r, consumerId } = await setup(3n);
    const asked = (): number => b.of(CommandType.GET_LAST_MESSAGE_ID).length;
    b.sockets[0]!.write(entry(consumerId, 1n));
    expect((await r.readNext(1000)).payload.toString()).toBe('m1');
    expect(await r.hasMessageAvailable()).toBe(true);
    expect(asked()).toBe(1);
    // m2 is on its way: the answer waits for it, with no second round trip.
    const more = r.hasMessageAvailable();
    b.sockets[0]!.write(entry(consumerId, 2n));
    expect(await more).toBe(true);
    expect(asked()).toBe(1);
    expect((await r.readNext(1000)).payload.toString()).toBe('m2');
    // m3 does not come within the wait: the broker is asked again (and still names m3).
    const late = r.hasMessageAvailable();
    await until(() => true);
    await clock.advance(100);
    expect(await late).toBe(true);
    expect(asked()).toBe(2);
    b.sockets[0]!.write(entry(consumerId, 3n));
    expect((await r.readNext(1000)).payload.toString()).toBe('m3');
    // Everything named is taken: asked, and the answer is no.
    expect(await r.hasMessageAvailable()).toBe(false);
    expect(asked()).toBe(3);
  });
});

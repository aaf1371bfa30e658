/**
 * The broker-side stall of #14: a consumer connected with permits while the broker holds an entry
 * it never dispatches (Pulsar 4.0.x can leave the cursor's read armed but deaf to new entries).
 * An idle consumer asks for the last entry and, when one was never delivered, asks for a
 * redelivery; a consumer that is up to date, or busy, asks nothing more.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, encodePayloadCommand } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(() => [client, broker], () => (client = broker = undefined));

const topic = 'persistent://public/default/stalled';

function message(consumerId: bigint | number, entryId: bigint, payload: string): Buffer {
  return encodePayloadCommand(
    { type: CommandType.MESSAGE, message: { consumer_id: Number(consumerId), message_id: { ledgerId: 7n, entryId } } },
    { producer_name: 'p', sequence_id: 0, publish_time: 1000 },
    Buffer.from(payload),
  );
}

/**
 * A broker whose topic holds entries 7:0..7:`lastEntry` and that dispatches nothing on FLOW (the
 * stall); on REDELIVER it sends every entry after the ones in `delivered`.
 */
async function start(lastEntry: bigint): Promise<{ b: FakeBroker; clock: FakeClock; delivered: bigint[] }> {
  const b = await FakeBroker.start();
  const delivered: bigint[] = [];
  b.handler = (f, reply, s) => {
    const c = f.command;
    if (c.type === CommandType.GET_LAST_MESSAGE_ID) {
      reply({
        type: CommandType.GET_LAST_MESSAGE_ID_RESPONSE,
        getLastMessageIdResponse: {
          request_id: c.getLastMessageId!.request_id,
          last_message_id: { ledgerId: 7n, entryId: lastEntry },
          consumer_mark_delete_position: { ledgerId: 7n, entryId: -1n },
        },
      });
      return;
    }
    if (c.type === CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES) {
      const id = c.redeliverUnacknowledgedMessages!.consumer_id;
      for (let e = 0n; e <= lastEntry; e++) if (!delivered.includes(e)) s.write(message(id, e, `m${e}`));
      return;
    }
    defaultHandler(f, reply, s);
  };
  broker = b;
  const clock = new FakeClock();
  client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock });
  return { b, clock, delivered };
}

describe('a consumer the broker stopped dispatching to', () => {
  it('asks for the last entry after 10 s idle and for a redelivery, then receives the entry', async () => {
    const { b, clock } = await start(0n);
    const c = await client!.subscribe({ topic, subscription: 's' });
    await b.waitFor(CommandType.FLOW);
    await clock.advance(9_999);
    expect(b.of(CommandType.GET_LAST_MESSAGE_ID)).toHaveLength(0);
    await clock.advance(1);
    await b.waitFor(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES);
    expect(b.of(CommandType.GET_LAST_MESSAGE_ID)).toHaveLength(1);
    const m = await c.receive(1000);
    expect(m.payload.toString()).toBe('m0');
  });

  it('asks nothing more when it already received the last entry', async () => {
    const { b, clock, delivered } = await start(0n);
    const c = await client!.subscribe({ topic, subscription: 's' });
    const flow = await b.waitFor(CommandType.FLOW);
    b.sockets[0]!.write(message(flow[0]!.command.flow!.consumer_id, 0n, 'm0'));
    delivered.push(0n);
    expect((await c.receive(1000)).payload.toString()).toBe('m0');
    // Each probe is a real round trip: keep the fake time moving until two have been answered.
    for (let i = 0; i < 50 && b.of(CommandType.GET_LAST_MESSAGE_ID).length < 2; i++) {
      await clock.advance(10_000);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(b.of(CommandType.GET_LAST_MESSAGE_ID).length).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 20));
    expect(b.of(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES)).toHaveLength(0);
  });

  it('does not probe while messages keep arriving', async () => {
    const { b, clock, delivered } = await start(5n);
    const c = await client!.subscribe({ topic, subscription: 's' });
    const flow = await b.waitFor(CommandType.FLOW);
    const id = flow[0]!.command.flow!.consumer_id;
    for (let e = 0n; e <= 5n; e++) {
      await clock.advance(6_000);
      b.sockets[0]!.write(message(id, e, `m${e}`));
      delivered.push(e);
      expect((await c.receive(1000)).payload.toString()).toBe(`m${e}`);
    }
    expect(b.of(CommandType.GET_LAST_MESSAGE_ID)).toHaveLength(0);
  });

  it('is off with stallCheckIntervalMs 0', async () => {
    const { b, clock } = await start(0n);
    await client!.subscribe({ topic, subscription: 's', stallCheckIntervalMs: 0 });
    await b.waitFor(CommandType.FLOW);
    for (let i = 0; i < 3; i++) await clock.advance(10_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(b.of(CommandType.GET_LAST_MESSAGE_ID)).toHaveLength(0);
  });
});

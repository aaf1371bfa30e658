/**
 * The broker closes a consumer (or producer) in the same read as the SUCCESS that created it,
 * as a broker unloading a topic it has just loaded does (#14): the client must resubscribe, not
 * mark the consumer ready with no connection (whole partitions then never delivered a message).
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, encodeCommand, encodePayloadCommand, type BaseCommand } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

const topic = 'persistent://public/default/t';

/**
 * A broker whose topic `topic` has 3 partitions and that answers the SUBSCRIBE numbers in
 * `closeOn` (1-based, in arrival order) with SUCCESS and CLOSE_CONSUMER in one write.
 */
async function start(closeOn: readonly number[], partitions = 3): Promise<{ b: FakeBroker; clock: FakeClock }> {
  const b = await FakeBroker.start();
  let subscribes = 0;
  b.handler = (f, reply, s) => {
    const c = f.command;
    if (c.type === CommandType.PARTITIONED_METADATA) {
      reply({
        type: CommandType.PARTITIONED_METADATA_RESPONSE,
        partitionMetadataResponse: { request_id: c.partitionMetadata?.request_id ?? 0, partitions },
      });
      return;
    }
    if (c.type === CommandType.SUBSCRIBE && closeOn.includes(++subscribes)) {
      const sub = c.subscribe!;
      s.write(
        Buffer.concat([
          encodeCommand({ type: CommandType.SUCCESS, success: { request_id: sub.request_id } }),
          encodeCommand({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: sub.consumer_id, request_id: 0 } }),
        ]),
      );
      return;
    }
    if (c.type === CommandType.PRODUCER && closeOn.includes(-1) && b.of(CommandType.PRODUCER).length === 1) {
      const p = c.producer!;
      const ok: BaseCommand = { type: CommandType.PRODUCER_SUCCESS, producer_success: { request_id: p.request_id, producer_name: 'p' } };
      s.write(
        Buffer.concat([
          encodeCommand(ok),
          encodeCommand({ type: CommandType.CLOSE_PRODUCER, close_producer: { producer_id: p.producer_id, request_id: 0 } }),
        ]),
      );
      return;
    }
    if (c.type === CommandType.SEND) {
      const send = c.send!;
      reply({
        type: CommandType.SEND_RECEIPT,
        send_receipt: { producer_id: send.producer_id, sequence_id: send.sequence_id, message_id: { ledgerId: 1n, entryId: 1n } },
      });
      return;
    }
    defaultHandler(f, reply, s);
  };
  broker = b;
  const clock = new FakeClock();
  client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0, initialBackoffMs: 100 }, { clock });
  return { b, clock };
}

/** One MESSAGE for the consumer the last SUBSCRIBE of `partitionTopic` created. */
function messageFor(b: FakeBroker, partitionTopic: string, payload: string): Buffer {
  const subs = b.of(CommandType.SUBSCRIBE).filter((f) => f.command.subscribe!.topic === partitionTopic);
  const consumerId = subs[subs.length - 1]!.command.subscribe!.consumer_id;
  return encodePayloadCommand(
    { type: CommandType.MESSAGE, message: { consumer_id: consumerId, message_id: { ledgerId: 3n, entryId: 1n } } },
    { producer_name: 'p', sequence_id: 0, publish_time: 1000 },
    Buffer.from(payload),
  );
}

describe('a consumer closed by the broker right after SUCCESS', () => {
  it('resubscribes that partition and receives from every partition (it stayed "ready" with no connection)', async () => {
    const { b, clock } = await start([2]);
    const c = await client!.subscribe({ topic, subscription: 's', initialPosition: 'Earliest' });
    expect(c.topics).toHaveLength(3);
    const lost = b.of(CommandType.SUBSCRIBE)[1]!.command.subscribe!.topic;
    // The lost partition is reconnecting, not ready.
    expect(c.topicConsumers.find((t) => t.topic === lost)?.state).toBe('connecting');
    await clock.advance(1000);
    await b.waitFor(CommandType.SUBSCRIBE, 4);
    await until(() => c.topicConsumers.every((t) => t.state === 'ready'), 'every partition ready');
    // A FLOW for each partition's live subscription: 3 first FLOWs (none for the lost one) + 1.
    const flows = await b.waitFor(CommandType.FLOW, 3);
    expect(new Set(flows.map((f) => f.command.flow!.consumer_id)).size).toBe(3);
    for (let i = 0; i < 3; i++) b.sockets[0]!.write(messageFor(b, `${topic}-partition-${i}`, `m${i}`));
    const got = [await c.receive(), await c.receive(), await c.receive()].map((m) => m.payload.toString()).sort();
    expect(got).toEqual(['m0', 'm1', 'm2']);
  });

  it('keeps trying when a resubscribe is closed the same way', async () => {
    const { b, clock } = await start([2], 0);
    const c = await client!.subscribe({ topic, subscription: 's' });
    const consumerId = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;
    b.sockets[0]!.write(encodeCommand({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: consumerId, request_id: 0 } }));
    await until(() => c.topicConsumers[0]?.state === 'connecting', 'consumer to notice the close');
    // The retry's backoff timer exists only once the lost attempt returned: advance in steps.
    for (let i = 0; i < 1000 && b.of(CommandType.SUBSCRIBE).length < 3; i++) {
      await clock.advance(200);
      await new Promise((r) => setTimeout(r, i < 100 ? 0 : 5));
    }
    expect(b.of(CommandType.SUBSCRIBE)).toHaveLength(3);
    await until(() => c.topicConsumers[0]?.state === 'ready', 'resubscribed');
    b.sockets[0]!.write(messageFor(b, topic, 'after'));
    expect((await c.receive()).payload.toString()).toBe('after');
  });
});

describe('a producer closed by the broker right after PRODUCER_SUCCESS', () => {
  it('reconnects and sends (it stayed "ready" with no connection and sends hung)', async () => {
    const { b, clock } = await start([-1], 0);
    const p = await client!.createProducer({ topic, batching: false });
    expect(p.partitionProducers[0]?.state).toBe('connecting');
    const sent = p.send('x');
    await clock.advance(1000);
    await b.waitFor(CommandType.PRODUCER, 2);
    await expect(sent).resolves.toMatchObject({ entryId: 1n });
  });
});

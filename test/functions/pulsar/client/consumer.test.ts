import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type Consumer, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import {
  CommandType,
  compress,
  CompressionType,
  encodeBatch,
  encodePayloadCommand,
  type MessageMetadata,
} from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

async function setup(
  opts: Partial<Parameters<PulsarClient['subscribe']>[0]> = {},
): Promise<{ b: FakeBroker; clock: FakeClock; c: Consumer; consumerId: number }> {
  const b = await FakeBroker.start();
  b.handler = (f, reply, s) => {
    if (f.command.type === CommandType.SEND) {
      const send = f.command.send!;
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
  client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock });
  const c = await client.subscribe({ topic: 'persistent://public/default/t', subscription: 'sub', ...opts });
  const consumerId = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;
  return { b, clock, c, consumerId };
}

function batchFrame(
  consumerId: number,
  entryId: bigint,
  payloads: string[],
  opts: { compression?: number; ackSet?: bigint[]; redelivery?: number; keys?: string[] } = {},
): Buffer {
  const raw = encodeBatch(
    payloads.map((p, i) => ({ metadata: { payload_size: 0, partition_key: opts.keys?.[i] }, payload: Buffer.from(p) })),
  );
  const md: MessageMetadata = { producer_name: 'p', sequence_id: 0, publish_time: 1000, num_messages_in_batch: payloads.length };
  let body = raw;
  if (opts.compression !== undefined) {
    md.compression = opts.compression;
    md.uncompressed_size = raw.length;
    body = compress(opts.compression, raw);
  }
  const message: { consumer_id: number; message_id: { ledgerId: bigint; entryId: bigint }; ack_set?: bigint[]; redelivery_count?: number } =
    {
      consumer_id: consumerId,
      message_id: { ledgerId: 3n, entryId },
    };
  if (opts.ackSet) message.ack_set = opts.ackSet;
  if (opts.redelivery !== undefined) message.redelivery_count = opts.redelivery;
  return encodePayloadCommand({ type: CommandType.MESSAGE, message }, md, body);
}

function singleFrame(consumerId: number, entryId: bigint, payload: string, md: Partial<MessageMetadata> = {}, redelivery = 0): Buffer {
  return encodePayloadCommand(
    {
      type: CommandType.MESSAGE,
      message: { consumer_id: consumerId, message_id: { ledgerId: 3n, entryId }, redelivery_count: redelivery },
    },
    { producer_name: 'p', sequence_id: 0, publish_time: 1000, ...md },
    Buffer.from(payload),
  );
}

describe('consumer subscribe', () => {
  it('sends the initial position, subscription type and Key_Shared meta (defect: position never sent)', async () => {
    const { b } = await setup({ initialPosition: 'Earliest', subscriptionType: 'Key_Shared', receiverQueueSize: 50 });
    const sub = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!;
    expect(sub.initialPosition).toBe(1);
    expect(sub.subType).toBe(3);
    expect(sub.keySharedMeta).toEqual({ keySharedMode: 0 });
    expect(sub.durable).toBe(true);
    const flow = (await b.waitFor(CommandType.FLOW))[0]!.command.flow!;
    expect(flow.messagePermits).toBe(50);
  });

  it('sends Latest explicitly by default', async () => {
    const { b } = await setup();
    expect(b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.initialPosition).toBe(0);
  });

  it('unsubscribe sends a real UNSUBSCRIBE (defect: it only closed)', async () => {
    const { b, c } = await setup();
    await c.unsubscribe();
    expect(b.of(CommandType.UNSUBSCRIBE)).toHaveLength(1);
    expect(c.state).toBe('closed');
  });
});

describe('consumer delivery', () => {
  it('delivers an LZ4 batch as separate messages with keys, without polling (defect: LZ4 crash, 1 s polling)', async () => {
    const { b, c, consumerId, clock } = await setup({ receiverQueueSize: 4 });
    expect(clock.pendingTimers).toBe(0); // nothing scheduled while idle: no poll loop
    const waiting = c.receive();
    b.sockets[0]!.write(batchFrame(consumerId, 10n, ['x', 'y', 'z'], { compression: CompressionType.LZ4, keys: ['a', 'b', 'c'] }));
    const m1 = await waiting;
    const m2 = await c.receive();
    const m3 = await c.receive();
    expect([m1, m2, m3].map((m) => [m.payload.toString(), m.key, m.id.batchIndex, m.id.batchSize])).toEqual([
      ['x', 'a', 0, 3],
      ['y', 'b', 1, 3],
      ['z', 'c', 2, 3],
    ]);
    expect(m1.id.entryId).toBe(10n);
    expect(m1.topic).toBe('persistent://public/default/t');
  });

  it('decompresses a compressed single message (defect: it arrived compressed)', async () => {
    const { b, c, consumerId } = await setup();
    const body = compress(CompressionType.ZSTD, Buffer.from('plain text '.repeat(20)));
    b.sockets[0]!.write(
      encodePayloadCommand(
        { type: CommandType.MESSAGE, message: { consumer_id: consumerId, message_id: { ledgerId: 3n, entryId: 1n } } },
        { producer_name: 'p', sequence_id: 5, publish_time: 1000, compression: CompressionType.ZSTD, uncompressed_size: 220 },
        body,
      ),
    );
    const m = await c.receive();
    expect(m.payload.toString()).toBe('plain text '.repeat(20));
    expect(m.id.batchIndex).toBe(-1);
  });

  it('counts a batch of N as N permits and refills at half the queue', async () => {
    const { b, c, consumerId } = await setup({ receiverQueueSize: 4 });
    await b.waitFor(CommandType.FLOW);
    b.sockets[0]!.write(batchFrame(consumerId, 1n, ['a', 'b', 'c']));
    await c.receive();
    expect(b.of(CommandType.FLOW)).toHaveLength(1);
    await c.receive();
    const flows = await b.waitFor(CommandType.FLOW, 2);
    expect(flows[1]!.command.flow!.messagePermits).toBe(2);
  });

  it('pause() withholds FLOW permits until resume()', async () => {
    const { b, c, consumerId } = await setup({ receiverQueueSize: 2 });
    await b.waitFor(CommandType.FLOW);
    c.pause();
    b.sockets[0]!.write(batchFrame(consumerId, 1n, ['a', 'b']));
    await c.receive();
    await c.receive();
    expect(b.of(CommandType.FLOW)).toHaveLength(1);
    c.resume();
    const flows = await b.waitFor(CommandType.FLOW, 2);
    expect(flows[1]!.command.flow!.messagePermits).toBe(2);
  });

  it('startPaused: no FLOW until resume(), so a rewind before it crosses no broker read (#17)', async () => {
    const { b, c, consumerId } = await setup({ subscriptionType: 'Failover', receiverQueueSize: 5, startPaused: true });
    expect(c.brokerPermits).toBe(0);
    c.redeliverUnacknowledged();
    await b.waitFor(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES);
    expect(b.of(CommandType.FLOW)).toHaveLength(0);
    c.resume();
    const [flow] = await b.waitFor(CommandType.FLOW);
    expect(flow!.command.flow!.messagePermits).toBe(5);
    const order = b.received
      .map((f) => f.command.type)
      .filter((t) => t === CommandType.FLOW || t === CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES);
    expect(order).toEqual([CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES, CommandType.FLOW]);
    expect(c.brokerPermits).toBe(5);
    b.sockets[0]!.write(batchFrame(consumerId, 1n, ['a', 'b', 'c']));
    await c.receive();
    expect(c.brokerPermits).toBe(2);
  });

  it('brokerPermits counts what the broker still holds: granted less every message sent, reset by a resubscribe', async () => {
    const { b, c, consumerId, clock } = await setup({ receiverQueueSize: 4 });
    await b.waitFor(CommandType.FLOW);
    expect(c.brokerPermits).toBe(4);
    c.pause();
    b.sockets[0]!.write(singleFrame(consumerId, 1n, 'one'));
    b.sockets[0]!.write(batchFrame(consumerId, 2n, ['a', 'b']));
    await c.receive();
    await c.receive();
    await c.receive();
    // Taken, but paused: nothing granted back.
    expect(c.brokerPermits).toBe(1);
    const { encodeCommand } = await import('../../../../functions/pulsar/wire/index.ts');
    b.sockets[0]!.write(encodeCommand({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: consumerId, request_id: 1 } }));
    await until(() => c.topicConsumers[0]?.state === 'connecting', 'consumer to notice the close');
    expect(c.brokerPermits).toBe(0);
    await clock.advance(1000);
    await until(() => c.topicConsumers[0]?.state === 'ready', 'resubscribe');
    expect(c.brokerPermits).toBe(0);
    c.resume();
    await b.waitFor(CommandType.FLOW, 2);
    expect(c.brokerPermits).toBe(4);
  });

  it('supports for-await iteration that ends on close', async () => {
    const { b, c, consumerId } = await setup();
    b.sockets[0]!.write(singleFrame(consumerId, 1n, 'one'));
    b.sockets[0]!.write(singleFrame(consumerId, 2n, 'two'));
    const got: string[] = [];
    for await (const m of c) {
      got.push(m.payload.toString());
      if (got.length === 2) void c.close();
    }
    expect(got).toEqual(['one', 'two']);
  });

  it('skips indexes the broker marks acknowledged in ack_set, and returns their permits', async () => {
    const { b, c, consumerId } = await setup({ receiverQueueSize: 4 });
    await b.waitFor(CommandType.FLOW);
    // bits set = still to deliver: 0b1010 -> indexes 1 and 3
    b.sockets[0]!.write(batchFrame(consumerId, 1n, ['a', 'b', 'c', 'd'], { ackSet: [0b1010n] }));
    const m1 = await c.receive();
    expect(m1.payload.toString()).toBe('b');
    const flows = await b.waitFor(CommandType.FLOW, 2);
    expect(flows[1]!.command.flow!.messagePermits).toBe(3);
    expect((await c.receive()).payload.toString()).toBe('d');
  });

  it('receive(timeoutMs) rejects with BL_PULSAR_TIMEOUT on the injected clock', async () => {
    const { c, clock } = await setup();
    const r = expect(c.receive(500)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
    await clock.advance(501);
    await r;
  });
});

describe('consumer acks', () => {
  it('acking one message of a batch acks nothing on the broker until all are acked (defect: whole batch acked)', async () => {
    const { b, c, consumerId } = await setup({ batchIndexAckEnabled: false });
    b.sockets[0]!.write(batchFrame(consumerId, 5n, ['a', 'b', 'c']));
    const ms = [await c.receive(), await c.receive(), await c.receive()];
    c.ack(ms[0]!);
    c.ack(ms[2]!);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(b.of(CommandType.ACK)).toHaveLength(0);
    c.ack(ms[1]!);
    const [ack] = await b.waitFor(CommandType.ACK);
    expect(ack!.command.ack!.message_id).toEqual([{ ledgerId: 3n, entryId: 5n }]);
    expect(ack!.command.ack!.ack_type).toBe(0);
  });

  it('with batchIndexAckEnabled sends ack_set bitsets with the unacked indexes set', async () => {
    const { b, c, consumerId } = await setup({ batchIndexAckEnabled: true });
    b.sockets[0]!.write(batchFrame(consumerId, 5n, ['a', 'b', 'c']));
    const m0 = await c.receive();
    c.ack(m0);
    const [ack] = await b.waitFor(CommandType.ACK);
    expect(ack!.command.ack!.message_id[0]!.ack_set).toEqual([0b110n]);
  });

  it('batch-index acks are on by default and coalesce to one ack_set per entry and flush', async () => {
    const { b, c, consumerId } = await setup();
    b.sockets[0]!.write(batchFrame(consumerId, 5n, ['a', 'b', 'c', 'd']));
    const ms = [await c.receive(), await c.receive(), await c.receive(), await c.receive()];
    c.ack(ms[0]!);
    c.ack(ms[2]!);
    const [ack] = await b.waitFor(CommandType.ACK);
    expect(ack!.command.ack!.message_id).toEqual([{ ledgerId: 3n, entryId: 5n, ack_set: [0b1010n], batch_size: 4 }]);
    // Acking the rest in one turn sends the plain entry ack only.
    c.ack(ms[1]!);
    c.ack(ms[3]!);
    const acks = await b.waitFor(CommandType.ACK, 2);
    expect(acks[1]!.command.ack!.message_id).toEqual([{ ledgerId: 3n, entryId: 5n }]);
  });

  it('hides already-acked batch members when the broker redelivers the whole entry', async () => {
    // Shared: the broker redelivers single entries in the same session (Exclusive/Failover only
    // re-send after a rewind or reconnect; see consumer-epoch.test.ts).
    const { b, c, consumerId } = await setup({ subscriptionType: 'Shared' });
    b.sockets[0]!.write(batchFrame(consumerId, 5n, ['a', 'b', 'c']));
    const m0 = await c.receive();
    await c.receive();
    await c.receive();
    c.ack(m0);
    b.sockets[0]!.write(batchFrame(consumerId, 5n, ['a', 'b', 'c'], { redelivery: 1 }));
    const again = [await c.receive(), await c.receive()];
    expect(again.map((m) => m.payload.toString())).toEqual(['b', 'c']);
    expect(again[0]!.redeliveryCount).toBe(1);
  });

  it('coalesces acks made in one turn into one ACK command', async () => {
    const { b, c, consumerId } = await setup();
    for (let i = 1; i <= 5; i++) b.sockets[0]!.write(singleFrame(consumerId, BigInt(i), `m${i}`));
    const ms = [];
    for (let i = 0; i < 5; i++) ms.push(await c.receive());
    for (const m of ms) c.ack(m);
    const [ack] = await b.waitFor(CommandType.ACK);
    expect(ack!.command.ack!.message_id.map((d) => d.entryId)).toEqual([1n, 2n, 3n, 4n, 5n]);
  });

  it('cumulative ack is refused on Shared subscriptions', async () => {
    const { b, c, consumerId } = await setup({ subscriptionType: 'Shared' });
    b.sockets[0]!.write(singleFrame(consumerId, 1n, 'x'));
    const m = await c.receive();
    expect(() => c.ackCumulative(m)).toThrow(expect.objectContaining({ code: 'BL_PULSAR_CUMULATIVE_ACK_NOT_ALLOWED' }));
  });

  it('negative ack redelivers the entry after the delay (Shared)', async () => {
    const { b, c, consumerId, clock } = await setup({ subscriptionType: 'Shared', negativeAckRedeliveryDelayMs: 1000 });
    b.sockets[0]!.write(singleFrame(consumerId, 8n, 'x'));
    c.nack(await c.receive());
    await clock.advance(999);
    expect(b.of(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES)).toHaveLength(0);
    await clock.advance(1);
    const [r] = await b.waitFor(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES);
    expect(r!.command.redeliverUnacknowledgedMessages!.message_ids).toEqual([{ ledgerId: 3n, entryId: 8n }]);
  });

  it('ack timeout redelivers unacknowledged messages', async () => {
    const { b, c, consumerId, clock } = await setup({ subscriptionType: 'Shared', ackTimeoutMs: 2000 });
    b.sockets[0]!.write(singleFrame(consumerId, 4n, 'x'));
    await c.receive();
    await clock.advance(3000);
    const [r] = await b.waitFor(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES);
    expect(r!.command.redeliverUnacknowledgedMessages!.message_ids).toEqual([{ ledgerId: 3n, entryId: 4n }]);
  });

  it('sends a message past maxRedeliverCount to <topic>-<sub>-DLQ and acks it', async () => {
    const { b, c, consumerId, clock } = await setup({
      subscriptionType: 'Shared',
      negativeAckRedeliveryDelayMs: 100,
      deadLetterPolicy: { maxRedeliverCount: 2 },
    });
    b.sockets[0]!.write(singleFrame(consumerId, 9n, 'poison', { partition_key: 'k', properties: [{ key: 'p', value: '1' }] }, 2));
    const m = await c.receive();
    c.nack(m);
    await clock.advance(100);
    const [prod] = await b.waitFor(CommandType.PRODUCER);
    expect(prod!.command.producer!.topic).toBe('persistent://public/default/t-sub-DLQ');
    const [send] = await b.waitFor(CommandType.SEND);
    expect(send!.payload!.payload.toString()).toBe('poison');
    expect(send!.payload!.metadata.partition_key).toBe('k');
    const props = Object.fromEntries((send!.payload!.metadata.properties ?? []).map((kv) => [kv.key, kv.value]));
    expect(props).toMatchObject({ p: '1', REAL_TOPIC: 'persistent://public/default/t', ORIGIN_MESSAGE_ID: '3:9:-1:-1' });
    const [ack] = await b.waitFor(CommandType.ACK);
    expect(ack!.command.ack!.message_id).toEqual([{ ledgerId: 3n, entryId: 9n }]);
    expect(b.of(CommandType.REDELIVER_UNACKNOWLEDGED_MESSAGES)).toHaveLength(0);
  });

  it('resubscribes after a broker CLOSE_CONSUMER', async () => {
    const { b, c, consumerId, clock } = await setup();
    const { encodeCommand } = await import('../../../../functions/pulsar/wire/index.ts');
    b.sockets[0]!.write(encodeCommand({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: consumerId, request_id: 1 } }));
    await until(() => c.topicConsumers[0]?.state === 'connecting', 'consumer to notice the close');
    await clock.advance(1000);
    await b.waitFor(CommandType.SUBSCRIBE, 2);
    await until(() => c.topicConsumers[0]?.state === 'ready', 'resubscribe');
    await b.waitFor(CommandType.FLOW, 2);
  });

  it('keeps a paused consumer paused across a resubscribe', async () => {
    const { b, c, consumerId, clock } = await setup({ receiverQueueSize: 10 });
    await b.waitFor(CommandType.FLOW);
    c.pause();
    const { encodeCommand } = await import('../../../../functions/pulsar/wire/index.ts');
    b.sockets[0]!.write(encodeCommand({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: consumerId, request_id: 1 } }));
    await until(() => c.topicConsumers[0]?.state === 'connecting', 'consumer to notice the close');
    await clock.advance(1000);
    await b.waitFor(CommandType.SUBSCRIBE, 2);
    await until(() => c.topicConsumers[0]?.state === 'ready', 'resubscribe');
    expect(b.of(CommandType.FLOW)).toHaveLength(1);
    c.resume();
    const flows = await b.waitFor(CommandType.FLOW, 2);
    expect(flows[1]!.command.flow!.messagePermits).toBe(10);
  });
});

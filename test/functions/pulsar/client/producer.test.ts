import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import {
  CommandType,
  CompressionType,
  decodeBatch,
  decompress,
  encodeCommand,
  type Frame,
} from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

let entry = 0;
/** Fake broker that acknowledges every SEND (unless `hold` is set). */
async function start(hold = false): Promise<{ broker: FakeBroker; clock: FakeClock; held: Frame[] }> {
  const b = await FakeBroker.start();
  const held: Frame[] = [];
  b.handler = (f, reply, s) => {
    if (f.command.type === CommandType.SEND) {
      if (hold) {
        held.push(f);
        return;
      }
      const send = f.command.send!;
      reply({
        type: CommandType.SEND_RECEIPT,
        send_receipt: {
          producer_id: send.producer_id,
          sequence_id: send.sequence_id,
          message_id: { ledgerId: 7n, entryId: BigInt(entry++) },
        },
      });
      return;
    }
    defaultHandler(f, reply, s);
  };
  broker = b;
  const clock = new FakeClock();
  client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0, initialBackoffMs: 100 }, { clock });
  return { broker: b, clock, held };
}

function receipt(f: Frame): Buffer {
  const send = f.command.send!;
  return encodeCommand({
    type: CommandType.SEND_RECEIPT,
    send_receipt: {
      producer_id: send.producer_id,
      sequence_id: send.sequence_id,
      message_id: { ledgerId: 9n, entryId: BigInt(send.sequence_id) },
    },
  });
}

describe('producer', () => {
  it('sends key, properties, event time and increasing sequence ids, resolving exact ids', async () => {
    const { broker: b } = await start();
    const p = await client!.createProducer({ topic: 'persistent://public/default/a', batching: false, name: 'prod-1' });
    const id1 = await p.send({ payload: 'one', key: 'k1', properties: { x: '1' }, eventTimeMs: 1234 });
    const id2 = await p.send('two');
    expect(id1.ledgerId).toBe(7n);
    expect(id2.entryId).toBe(id1.entryId + 1n);
    const sends = b.of(CommandType.SEND);
    expect(sends.map((f) => f.command.send?.sequence_id)).toEqual([0, 1]);
    const meta = sends[0]?.payload?.metadata;
    expect(meta?.producer_name).toBe('prod-1');
    expect(meta?.partition_key).toBe('k1');
    expect(meta?.properties).toEqual([{ key: 'x', value: '1' }]);
    expect(meta?.event_time).toBe(1234);
    expect(meta?.num_messages_in_batch).toBeUndefined();
    expect(sends[0]?.payload?.checksumValid).toBe(true);
    const producerCmd = b.of(CommandType.PRODUCER)[0]?.command.producer;
    expect(producerCmd?.producer_name).toBe('prod-1');
    expect(producerCmd?.producer_access_mode).toBe(0);
  });

  it('batches up to batchingMaxMessages into one SEND with per-message metadata', async () => {
    const { broker: b } = await start();
    const p = await client!.createProducer({ topic: 'b', batchingMaxMessages: 4, batchingMaxDelayMs: 1000 });
    const ids = await Promise.all(['a', 'b', 'c', 'd'].map((s, i) => p.send({ payload: s, key: `k${i}` })));
    const sends = b.of(CommandType.SEND);
    expect(sends).toHaveLength(1);
    expect(sends[0]?.command.send?.num_messages).toBe(4);
    expect(sends[0]?.command.send?.highest_sequence_id).toBe(3);
    const md = sends[0]!.payload!.metadata;
    expect(md.num_messages_in_batch).toBe(4);
    expect(md.partition_key).toBeUndefined(); // mixed keys: no batch-level key
    const entries = decodeBatch(sends[0]!.payload!.payload, 4);
    expect(entries.map((e) => [e.payload.toString(), e.metadata.partition_key, e.metadata.sequence_id])).toEqual([
      ['a', 'k0', 0],
      ['b', 'k1', 1],
      ['c', 'k2', 2],
      ['d', 'k3', 3],
    ]);
    expect(ids.map((id) => [id.batchIndex, id.batchSize])).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
    ]);
  });

  it('flushes a partial batch after batchingMaxDelayMs (clock-driven)', async () => {
    const { broker: b, clock } = await start();
    const p = await client!.createProducer({ topic: 'c', batchingMaxMessages: 100, batchingMaxDelayMs: 10 });
    const sent = p.send('x');
    await clock.advance(5);
    expect(b.of(CommandType.SEND)).toHaveLength(0);
    await clock.advance(5);
    await sent;
    expect(b.of(CommandType.SEND)).toHaveLength(1);
  });

  it('key-based batching keeps one key per batch and sets it on the batch metadata (Key_Shared routable)', async () => {
    const { broker: b } = await start();
    const p = await client!.createProducer({ topic: 'd', batchingType: 'key-based', batchingMaxMessages: 100, batchingMaxDelayMs: 1000 });
    const sends = ['a', 'b', 'a', 'b', 'a'].map((k, i) => p.send({ payload: `${k}${i}`, key: k }));
    await p.flush();
    await Promise.all(sends);
    const frames = b.of(CommandType.SEND);
    expect(frames).toHaveLength(2);
    const byKey = Object.fromEntries(
      frames.map((f) => [
        f.payload!.metadata.partition_key,
        decodeBatch(f.payload!.payload, f.command.send!.num_messages!).map((e) => e.payload.toString()),
      ]),
    );
    expect(byKey).toEqual({ a: ['a0', 'a2', 'a4'], b: ['b1', 'b3'] });
    // Sequence ids stay contiguous per batch and increasing in flush order (broker de-dup safe).
    expect(frames.map((f) => [f.command.send?.sequence_id, f.command.send?.highest_sequence_id])).toEqual([
      [0, 2],
      [3, 4],
    ]);
  });

  it('compresses batches (LZ4) with uncompressed_size set', async () => {
    const { broker: b } = await start();
    const p = await client!.createProducer({ topic: 'e', compression: 'lz4', batchingMaxMessages: 2 });
    await Promise.all([p.send('hello '.repeat(50)), p.send('world '.repeat(50))]);
    const f = b.of(CommandType.SEND)[0]!;
    const md = f.payload!.metadata;
    expect(md.compression).toBe(CompressionType.LZ4);
    const raw = decompress(CompressionType.LZ4, f.payload!.payload, md.uncompressed_size!);
    expect(decodeBatch(raw, 2).map((e) => e.payload.toString())).toEqual(['hello '.repeat(50), 'world '.repeat(50)]);
    expect(f.payload!.payload.length).toBeLessThan(md.uncompressed_size!);
  });

  it('bounds the pending queue: send() waits for room instead of growing without limit', async () => {
    const { broker: b, held } = await start(true);
    const p = await client!.createProducer({ topic: 'f', batching: false, maxPendingMessages: 2 });
    const s1 = p.send('1');
    const s2 = p.send('2');
    let thirdWritten = false;
    const s3 = p.send('3').then((id) => ((thirdWritten = true), id));
    await b.waitFor(CommandType.SEND, 2);
    expect(p.partitionProducers[0]?.pendingMessages).toBe(2);
    expect(held).toHaveLength(2);
    b.sockets[0]!.write(receipt(held[0]!));
    await s1;
    await b.waitFor(CommandType.SEND, 3);
    b.sockets[0]!.write(receipt(held[1]!));
    b.sockets[0]!.write(receipt(held[2]!));
    await Promise.all([s2, s3]);
    expect(thirdWritten).toBe(true);
  });

  it('fails sends after sendTimeoutMs with BL_PULSAR_TIMEOUT and frees their room', async () => {
    const { clock } = await start(true);
    const p = await client!.createProducer({ topic: 'g', batching: false, sendTimeoutMs: 1000 });
    const s = p.send('lost');
    const check = expect(s).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
    await clock.advance(1100);
    await check;
    expect(p.partitionProducers[0]?.pendingMessages).toBe(0);
    expect(client!.pendingDeadlines).toBe(0);
  });

  it('re-creates itself after a broker CLOSE_PRODUCER and resends pending messages in order', async () => {
    const { broker: b, clock, held } = await start(true);
    const p = await client!.createProducer({ topic: 'h', batching: false, name: 'stable' });
    const sends = [p.send('1'), p.send('2'), p.send('3')];
    await b.waitFor(CommandType.SEND, 3);
    const producerId = held[0]!.command.send!.producer_id;
    b.sockets[0]!.write(encodeCommand({ type: CommandType.CLOSE_PRODUCER, close_producer: { producer_id: producerId, request_id: 99 } }));
    await until(() => p.partitionProducers[0]?.state === 'connecting', 'producer to notice the close');
    await clock.advance(200);
    await b.waitFor(CommandType.PRODUCER, 2);
    await b.waitFor(CommandType.SEND, 6);
    const resent = held.slice(3).map((f) => [f.command.send?.sequence_id, f.payload?.payload.toString()]);
    expect(resent).toEqual([
      [0, '1'],
      [1, '2'],
      [2, '3'],
    ]);
    expect(b.of(CommandType.PRODUCER)[1]?.command.producer?.producer_name).toBe('stable');
    expect(b.of(CommandType.PRODUCER)[1]?.command.producer?.epoch).toBe(1);
    for (const f of held.slice(3)) b.sockets[0]!.write(receipt(f));
    const ids = await Promise.all(sends);
    expect(ids.map((i) => i.entryId)).toEqual([0n, 1n, 2n]);
  });

  it('a WaitForExclusive producer waits for producer_ready without timing out', async () => {
    const b = await FakeBroker.start();
    broker = b;
    let reqId = 0;
    b.handler = (f, reply, s) => {
      if (f.command.type === CommandType.PRODUCER) {
        reqId = f.command.producer!.request_id;
        expect(f.command.producer?.producer_access_mode).toBe(2);
        reply({ type: CommandType.PRODUCER_SUCCESS, producer_success: { request_id: reqId, producer_name: 'w', producer_ready: false } });
        return;
      }
      defaultHandler(f, reply, s);
    };
    const clock = new FakeClock();
    client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0, operationTimeoutMs: 1000 }, { clock });
    let done = false;
    const created = client.createProducer({ topic: 'w', accessMode: 'WaitForExclusive' }).then((p) => ((done = true), p));
    await b.waitFor(CommandType.PRODUCER);
    await until(() => client!.pendingDeadlines === 0, 'producer_ready=false to stop the request timeout');
    await clock.advance(5000);
    expect(done).toBe(false);
    b.sockets[0]!.write(
      encodeCommand({
        type: CommandType.PRODUCER_SUCCESS,
        producer_success: { request_id: reqId, producer_name: 'w', producer_ready: true },
      }),
    );
    const p = await created;
    expect(p.names).toEqual(['w']);
  });
});

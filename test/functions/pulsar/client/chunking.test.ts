import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, encodePayloadCommand, type Frame } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

const MAX = 64 * 1024;

async function start(): Promise<{ b: FakeBroker; sends: Frame[] }> {
  const b = await FakeBroker.start();
  const sends: Frame[] = [];
  let entry = 0;
  b.handler = (f, reply, s) => {
    if (f.command.type === CommandType.CONNECT) {
      reply({ type: CommandType.CONNECTED, connected: { server_version: 'fake', protocol_version: 21, max_message_size: MAX } });
      return;
    }
    if (f.command.type === CommandType.SEND) {
      sends.push(f);
      const send = f.command.send!;
      reply({
        type: CommandType.SEND_RECEIPT,
        send_receipt: {
          producer_id: send.producer_id,
          sequence_id: send.sequence_id,
          message_id: { ledgerId: 4n, entryId: BigInt(entry++) },
        },
      });
      return;
    }
    defaultHandler(f, reply, s);
  };
  broker = b;
  client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
  return { b, sends };
}

describe('chunking', () => {
  it('refuses an oversized payload unless chunking is on', async () => {
    await start();
    const p = await client!.createProducer({ topic: 'big' });
    await expect(p.send(Buffer.alloc(MAX + 1))).rejects.toMatchObject({ code: 'BL_PULSAR_MESSAGE_TOO_LARGE' });
  });

  it('splits a large payload into ordered chunks and reassembles it on the consumer', async () => {
    const { b, sends } = await start();
    const p = await client!.createProducer({ topic: 'big', chunking: true, compression: 'lz4' });
    const payload = randomBytes(300_000); // incompressible: still needs chunks after LZ4
    const id = await p.send({ payload, key: 'k', properties: { a: '1' } });
    expect(sends.length).toBeGreaterThan(1);
    const n = sends.length;
    sends.forEach((f, i) => {
      const md = f.payload!.metadata;
      expect(f.command.send!.is_chunk).toBe(true);
      expect(md.chunk_id).toBe(i);
      expect(md.num_chunks_from_msg).toBe(n);
      expect(md.uuid).toBe(sends[0]!.payload!.metadata.uuid);
      expect(f.command.send!.sequence_id).toBe(0);
      expect(f.payload!.payload.length).toBeLessThanOrEqual(MAX);
    });
    expect(id.entryId).toBe(BigInt(n - 1));

    // Replay the chunks to a consumer, interleaved with a normal message.
    const c = await client!.subscribe({ topic: 'big', subscription: 's', receiverQueueSize: 100 });
    const consumerId = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;
    const sock = b.sockets[0]!;
    sends.forEach((f, i) => {
      sock.write(
        encodePayloadCommand(
          { type: CommandType.MESSAGE, message: { consumer_id: consumerId, message_id: { ledgerId: 4n, entryId: BigInt(i) } } },
          f.payload!.metadata,
          f.payload!.payload,
        ),
      );
    });
    const m = await c.receive();
    expect(Buffer.compare(m.payload, payload)).toBe(0);
    expect(m.key).toBe('k');
    expect(m.properties).toEqual({ a: '1' });
    expect(m.id.entryId).toBe(BigInt(n - 1));
    c.ack(m);
    const [ack] = await b.waitFor(CommandType.ACK);
    expect(ack!.command.ack!.message_id.map((d) => d.entryId)).toEqual(Array.from({ length: n }, (_, i) => BigInt(i)));
    // Every chunk but the last returned its permit at once.
    expect(c.queued).toBe(0);
  });
});

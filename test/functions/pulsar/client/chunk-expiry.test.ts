import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { compileConsumerOptions } from '../../../../functions/pulsar/api/index.ts';
import { CommandType, encodePayloadCommand } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, FakeBroker } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

function chunk(consumerId: number, entryId: bigint, uuid: string, chunkId: number, n: number, body: string): Buffer {
  return encodePayloadCommand(
    { type: CommandType.MESSAGE, message: { consumer_id: consumerId, message_id: { ledgerId: 5n, entryId } } },
    {
      producer_name: 'p',
      sequence_id: 0,
      publish_time: 1,
      uuid,
      chunk_id: chunkId,
      num_chunks_from_msg: n,
      total_chunk_msg_size: n * body.length,
    },
    Buffer.from(body),
  );
}

describe('incomplete chunked messages', () => {
  it('defaults: 100 pending chunked messages, incomplete ones expire after 60 s', () => {
    const cfg = compileConsumerOptions({ topic: 't', subscription: 's' });
    expect(cfg.maxPendingChunkedMessages).toBe(100);
    expect(cfg.expireTimeOfIncompleteChunkedMessageMs).toBe(60_000);
  });

  it('expires an incomplete chunked message (acking its chunks) and still assembles a later one', async () => {
    const b = await FakeBroker.start();
    broker = b;
    const clock = new FakeClock();
    client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock });
    const c = await client.subscribe({
      topic: 'big',
      subscription: 's',
      receiverQueueSize: 2,
      expireTimeOfIncompleteChunkedMessageMs: 1_000,
    });
    const cid = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;
    const sock = b.sockets[0]!;
    // First message: only 2 of its 3 chunks ever arrive (its producer died).
    sock.write(chunk(cid, 0n, 'dead', 0, 3, 'aa'));
    sock.write(chunk(cid, 1n, 'dead', 1, 3, 'bb'));
    // Each incomplete chunk hands its permit back at once (queue of 2: a FLOW per chunk).
    await b.waitFor(CommandType.FLOW, 3);
    await clock.advance(1_500);
    sock.write(chunk(cid, 2n, 'live', 0, 2, 'cc'));
    sock.write(chunk(cid, 3n, 'live', 1, 2, 'dd'));
    const m = await c.receive();
    expect(m.payload.toString()).toBe('ccdd');
    const acks = await b.waitFor(CommandType.ACK);
    expect(acks[0]!.command.ack!.message_id.map((d) => d.entryId)).toEqual([0n, 1n]);
  });
});

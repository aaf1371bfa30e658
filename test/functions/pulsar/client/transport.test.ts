import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, encodeCommand, type Frame } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

const cert = readFileSync(new URL('./fixtures/broker-cert.pem', import.meta.url));
const key = readFileSync(new URL('./fixtures/broker-key.pem', import.meta.url));

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

describe('TLS (pulsar+ssl://)', () => {
  it('connects over TLS, verifying the broker certificate against the given CA', async () => {
    broker = await FakeBroker.start({ key, cert });
    client = createClient({ serviceUrl: broker.url, tls: { ca: cert }, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
    const p = await client.createProducer({ topic: 'tls-topic' });
    expect(p.partitionProducers[0]?.connection?.logicalUrl).toMatch(/^pulsar\+ssl:\/\//);
    expect(broker.of(CommandType.CONNECT)).toHaveLength(1);
    await p.close();
  });

  it('refuses a broker whose certificate is not trusted', async () => {
    broker = await FakeBroker.start({ key, cert });
    client = createClient({ serviceUrl: broker.url, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
    await expect(client.getPartitions('t')).rejects.toMatchObject({ code: 'BL_PULSAR_CONNECT_FAILED' });
  });
});

describe('socket backpressure', () => {
  it('stops writing SEND frames while the socket buffer is full and resumes on drain', async () => {
    broker = await FakeBroker.start();
    const held: Frame[] = [];
    broker.handler = (f, reply, s) => {
      if (f.command.type === CommandType.SEND) held.push(f);
      else defaultHandler(f, reply, s);
    };
    client = createClient({ serviceUrl: broker.url, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
    const p = await client.createProducer({ topic: 'bp', batching: false, maxPendingMessages: 1000, sendTimeoutMs: 0 });
    const conn = p.partitionProducers[0]!.connection!;
    const server = broker.sockets[0]!;
    server.pause(); // the broker stops reading: kernel buffers fill, then Node's
    const payload = Buffer.alloc(256 * 1024, 1);
    const sends = Array.from({ length: 400 }, () => p.send(payload)); // 100 MiB offered
    await until(() => conn.needsDrain, 'socket buffer to fill');
    // Only about one high-water mark beyond the kernel's buffers is queued in the process.
    expect(conn.bufferedBytes).toBeLessThan(2 * 1024 * 1024);
    server.resume();
    await until(() => held.length === 400, 'every SEND to arrive');
    for (const f of held) {
      const send = f.command.send!;
      server.write(
        encodeCommand({
          type: CommandType.SEND_RECEIPT,
          send_receipt: {
            producer_id: send.producer_id,
            sequence_id: send.sequence_id,
            message_id: { ledgerId: 1n, entryId: BigInt(send.sequence_id) },
          },
        }),
      );
    }
    const ids = await Promise.all(sends);
    expect(ids.map((id) => id.entryId)).toEqual(Array.from({ length: 400 }, (_, i) => BigInt(i)));
    expect(held.map((f) => f.command.send!.sequence_id)).toEqual(Array.from({ length: 400 }, (_, i) => i));
  }, 60_000);
});

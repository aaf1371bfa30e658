import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, encodePayloadCommand } from '../../../../functions/pulsar/wire/index.ts';
import { PrometheusMetrics } from '../../../../functions/telemetry.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

/** The value of one sample line of the Prometheus exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('client metrics', () => {
  it('counts sends with their latency, receives, acks and reconnects, labelled by base topic', async () => {
    const b = await FakeBroker.start();
    broker = b;
    const clock = new FakeClock();
    let held: (() => void) | undefined;
    b.handler = (f, reply, s) => {
      if (f.command.type === CommandType.SEND) {
        const send = f.command.send!;
        // The receipt waits for the test, so the send has a latency on the fake clock.
        held = () =>
          reply({
            type: CommandType.SEND_RECEIPT,
            send_receipt: { producer_id: send.producer_id, sequence_id: send.sequence_id, message_id: { ledgerId: 1n, entryId: 1n } },
          });
        return;
      }
      defaultHandler(f, reply, s);
    };
    const metrics = new PrometheusMetrics();
    client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0, initialBackoffMs: 100 }, { clock, metrics });
    const topic = 'persistent://public/default/m';
    const p = await client.createProducer({ topic, batching: false });
    const sent = p.send('one');
    await until(() => held !== undefined, 'SEND');
    await clock.advance(250);
    held!();
    await sent;

    const c = await client.subscribe({ topic, subscription: 's' });
    const consumerId = b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.consumer_id;
    for (const entryId of [1n, 2n]) {
      b.sockets[0]!.write(
        encodePayloadCommand(
          { type: CommandType.MESSAGE, message: { consumer_id: consumerId, message_id: { ledgerId: 3n, entryId } } },
          { producer_name: 'x', sequence_id: 0, publish_time: 1 },
          Buffer.from('m'),
        ),
      );
    }
    const m1 = await c.receive();
    await c.receive();
    c.ack(m1);

    b.sockets[0]!.destroy();
    for (let i = 0; i < 50 && b.of(CommandType.SUBSCRIBE).length < 2; i++) {
      await clock.advance(200);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => b.of(CommandType.PRODUCER).length === 2 && b.of(CommandType.SUBSCRIBE).length === 2, 'reconnects');
    await until(() => c.topicConsumers[0]!.state === 'ready' && p.partitionProducers[0]!.state === 'ready', 'ready again');

    const text = await metrics.render();
    expect(sample(text, `pulsar_client_messages_sent_total{topic="${topic}"}`)).toBe(1);
    expect(sample(text, `pulsar_client_send_latency_seconds_sum{topic="${topic}"}`)).toBeCloseTo(0.25, 3);
    expect(sample(text, `pulsar_client_send_latency_seconds_bucket{le="0.1",topic="${topic}"}`)).toBe(0);
    expect(sample(text, `pulsar_client_send_latency_seconds_bucket{le="0.25",topic="${topic}"}`)).toBe(1);
    expect(sample(text, `pulsar_client_messages_received_total{topic="${topic}"}`)).toBe(2);
    expect(sample(text, `pulsar_client_acks_total{topic="${topic}"}`)).toBe(1);
    expect(sample(text, 'pulsar_client_reconnects_total{kind="producer"}')).toBe(1);
    expect(sample(text, 'pulsar_client_reconnects_total{kind="consumer"}')).toBe(1);
  });

  it('labels a partitioned topic once, not per partition', async () => {
    const b = await FakeBroker.start();
    broker = b;
    b.handler = (f, reply, s) => {
      const cmd = f.command;
      if (cmd.type === CommandType.PARTITIONED_METADATA) {
        const n = cmd.partitionMetadata!.topic.endsWith('/pt') ? 2 : 0;
        reply({
          type: CommandType.PARTITIONED_METADATA_RESPONSE,
          partitionMetadataResponse: { request_id: cmd.partitionMetadata!.request_id, partitions: n },
        });
        return;
      }
      if (cmd.type === CommandType.SEND) {
        const send = cmd.send!;
        reply({
          type: CommandType.SEND_RECEIPT,
          send_receipt: { producer_id: send.producer_id, sequence_id: send.sequence_id, message_id: { ledgerId: 1n, entryId: 1n } },
        });
        return;
      }
      defaultHandler(f, reply, s);
    };
    const metrics = new PrometheusMetrics();
    client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock: new FakeClock(), metrics });
    const p = await client.createProducer({ topic: 'persistent://public/default/pt', batching: false, partitionsAutoUpdateIntervalMs: 0 });
    await Promise.all(['a', 'b', 'c', 'd'].map((x) => p.send(x)));
    const text = await metrics.render();
    expect(sample(text, 'pulsar_client_messages_sent_total{topic="persistent://public/default/pt"}')).toBe(4);
    expect(text).not.toContain('partition-');
  });
});

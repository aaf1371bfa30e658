/**
 * Throughput micro-benchmark of Beamline's own Pulsar client (run by `npm run bench -- client`).
 * Publishes 1 KiB messages (batched) for --duration-s at --rate msg/s (0 = as fast as it can),
 * or exactly --messages N, then drains and acks that backlog from the earliest position.
 * Last stdout line: {"producedPerSec","consumedPerSec","publishLatencyP50Ms","publishLatencyP99Ms",...}
 *
 *   node scripts/bench/client-ours.ts [--service-url U] [--topic T] [--duration-s 5] [--rate 0]
 *        [--size 1024] [--batching true] [--messages N] [--compression none|lz4|zlib|zstd|snappy]
 */
import { parseArgs } from 'node:util';
import { createClient, type ProducerOptions } from '../../functions/pulsar/index.ts';

const { values } = parseArgs({
  strict: false,
  options: {
    'service-url': { type: 'string' },
    'admin-url': { type: 'string' },
    topic: { type: 'string' },
    'duration-s': { type: 'string', default: '5' },
    rate: { type: 'string', default: '0' },
    size: { type: 'string', default: '1024' },
    batching: { type: 'string', default: 'true' },
    messages: { type: 'string' },
    compression: { type: 'string', default: 'none' },
  },
});

const str = (v: unknown, d: string): string => (typeof v === 'string' ? v : d);
const serviceUrl = str(values['service-url'], process.env['PULSAR_SERVICE_URL'] ?? 'pulsar://127.0.0.1:6650');
const ownTopic = typeof values.topic !== 'string';
const topic = str(values.topic, `persistent://public/default/bench-ours-${Date.now().toString(36)}`);
const adminUrl = str(values['admin-url'], process.env['PULSAR_ADMIN_URL'] ?? 'http://127.0.0.1:8080');
const durationMs = Number(str(values['duration-s'], '5')) * 1000;
const rate = Number(str(values.rate, '0'));
const size = Number(str(values.size, '1024'));
const batching = str(values.batching, 'true') !== 'false';
const fixedCount = values.messages === undefined ? undefined : Number(values.messages);
const compression = str(values.compression, 'none') as NonNullable<ProducerOptions['compression']>;

const client = createClient({ serviceUrl, token: process.env['PULSAR_TOKEN'] || undefined });

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

try {
  const consumer = await client.subscribe({ topic, subscription: 'bench', initialPosition: 'Earliest', receiverQueueSize: 2000 });
  const producer = await client.createProducer({
    topic,
    batching,
    batchingMaxMessages: 1000,
    batchingMaxBytes: 1024 * 1024,
    batchingMaxDelayMs: rate > 0 ? 1 : 5,
    maxPendingMessages: 20_000,
    compression,
  });
  const payload = Buffer.alloc(size, 0x61);
  const latencies: number[] = [];
  let inflight = 0;
  let sent = 0;
  let wake: (() => void) | undefined;
  const sendOne = (): void => {
    const start = performance.now();
    inflight++;
    sent++;
    producer.send(payload).then(
      () => {
        latencies.push(performance.now() - start);
        inflight--;
        if (wake !== undefined && inflight < 10_000) {
          const w = wake;
          wake = undefined;
          w();
        }
      },
      (err: unknown) => {
        process.stderr.write(`send failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  const t0 = performance.now();
  const done = (): boolean => (fixedCount !== undefined ? sent >= fixedCount : performance.now() - t0 >= durationMs);
  while (!done()) {
    if (rate > 0) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate);
      while (sent < due && !done()) sendOne();
      await new Promise((r) => setTimeout(r, 1));
    } else {
      for (let i = 0; i < 1000 && !done(); i++) sendOne();
      if (inflight >= 20_000) await new Promise<void>((r) => (wake = r));
      else await new Promise((r) => setImmediate(r));
    }
  }
  await producer.flush();
  while (inflight > 0) await new Promise((r) => setTimeout(r, 1));
  const produceMs = performance.now() - t0;

  const c0 = performance.now();
  for (let i = 0; i < sent; i++) {
    const m = await consumer.receive(30_000);
    consumer.ack(m);
  }
  const consumeMs = performance.now() - c0;
  const sorted = Float64Array.from(latencies).sort();
  process.stdout.write(
    `${JSON.stringify({
      client: 'beamline',
      messages: sent,
      payloadBytes: size,
      producedPerSec: Math.round((sent / produceMs) * 1000),
      consumedPerSec: Math.round((sent / consumeMs) * 1000),
      publishLatencyP50Ms: Number(percentile(sorted, 0.5).toFixed(2)),
      publishLatencyP99Ms: Number(percentile(sorted, 0.99).toFixed(2)),
    })}\n`,
  );
  await producer.close();
  await consumer.unsubscribe();
} finally {
  await client.close();
  if (ownTopic) {
    // A max-rate run writes hundreds of MB: never leave a topic we named ourselves behind.
    const token = process.env['PULSAR_TOKEN'];
    await fetch(`${adminUrl}/admin/v2/${topic.replace('://', '/')}?force=true`, {
      method: 'DELETE',
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }).catch(() => undefined);
  }
}

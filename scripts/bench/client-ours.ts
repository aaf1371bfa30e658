/**
 * Throughput/latency micro-benchmark of Beamline's own Pulsar client (run by
 * `npm run bench -- client`, next to pulsar-perf). Publishes --size byte messages (batched) for
 * --duration-s at --rate msg/s (0 = as fast as it can), or exactly --messages N, then drains and
 * acks that backlog from the earliest position.
 *
 * Measured like pulsar-perf so the ratios mean something:
 *  - the same producer settings (batch delay 1 ms, 1000 messages or 128 KiB per batch),
 *  - even pacing at a fixed rate (message i is due at t0 + i/rate; between due times the thread
 *    sleeps in sub-millisecond steps instead of sending bursts on 1 ms timers),
 *  - the same warm-up rule: latencies of sends acknowledged in the first --warmup-s (1 s) are
 *    not recorded (throughput still counts every message).
 * Last stdout line: {"producedPerSec","consumedPerSec","publishLatencyP50Ms","publishLatencyP99Ms",
 * "publishLatencyP999Ms","publishLatencyMaxMs","eventLoopDelayP99Ms","produceCpuUsPerMsg",
 * "consumeCpuUsPerMsg",...}: the CPU figures are this process's CPU time (user + system) per
 * message in each phase, which a loaded machine disturbs far less than the rates.
 *
 *   node scripts/bench/client-ours.ts [--service-url U] [--admin-url A] [--topic T] [--duration-s 5]
 *        [--rate 0] [--size 1024] [--batching true] [--messages N] [--warmup-s 1]
 *        [--batch-delay-ms 1] [--compression none|lz4|zlib|zstd|snappy] [--skip-consume]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createClient, type ProducerOptions } from '@beamline/pulsar';

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
    'warmup-s': { type: 'string', default: '1' },
    'batch-delay-ms': { type: 'string', default: '1' },
    compression: { type: 'string', default: 'none' },
    'skip-consume': { type: 'boolean', default: false },
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
const warmupMs = Number(str(values['warmup-s'], '1')) * 1000;
const batchDelayMs = Number(str(values['batch-delay-ms'], '1'));
const compression = str(values.compression, 'none') as NonNullable<ProducerOptions['compression']>;
const skipConsume = values['skip-consume'] === true;

const client = createClient({ serviceUrl, token: process.env['PULSAR_TOKEN'] || undefined });

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** Sleep the thread (not the event loop's timers) for a fraction of a millisecond. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepSubMs(ms: number): void {
  if (ms > 0.02) Atomics.wait(sleepCell, 0, 0, ms);
}
const yieldToIo = (): Promise<void> => new Promise((r) => setImmediate(r));

const MAX_INFLIGHT = 20_000;

try {
  const consumer = skipConsume
    ? undefined
    : await client.subscribe({ topic, subscription: 'bench', initialPosition: 'Earliest', receiverQueueSize: 1000 });
  const producer = await client.createProducer({
    topic,
    batching,
    // pulsar-perf's producer: -bm 1000, -b 1 (ms), the Java default of 128 KiB per batch.
    batchingMaxMessages: 1000,
    batchingMaxBytes: 128 * 1024,
    batchingMaxDelayMs: batchDelayMs,
    maxPendingMessages: MAX_INFLIGHT,
    compression,
  });
  const payload = Buffer.alloc(size, 0x61);
  const latencies: number[] = [];
  let inflight = 0;
  let sent = 0;
  let wake: (() => void) | undefined;
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  const produceCpu0 = process.cpuUsage();
  const t0 = performance.now();
  const warmupEnd = t0 + warmupMs;
  const sendOne = (): void => {
    const start = performance.now();
    inflight++;
    sent++;
    producer.send(payload).then(
      () => {
        const now = performance.now();
        if (now > warmupEnd) latencies.push(now - start);
        inflight--;
        if (wake !== undefined && inflight < MAX_INFLIGHT / 2) {
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
  const done = (): boolean => (fixedCount !== undefined ? sent >= fixedCount : performance.now() - t0 >= durationMs);
  loopDelay.enable();
  if (rate > 0) {
    const intervalMs = 1000 / rate;
    while (!done()) {
      // Send what is due now (normally one message), then sleep until the next one is due; yield
      // to I/O every turn so receipts are handled between sends.
      const due = Math.floor((performance.now() - t0) / intervalMs) + 1;
      while (sent < due && !done()) sendOne();
      const nextAt = t0 + sent * intervalMs;
      sleepSubMs(Math.min(1, nextAt - performance.now()));
      await yieldToIo();
    }
  } else {
    while (!done()) {
      for (let i = 0; i < 1000 && !done(); i++) sendOne();
      if (inflight >= MAX_INFLIGHT) await new Promise<void>((r) => (wake = r));
      else await yieldToIo();
    }
  }
  await producer.flush();
  while (inflight > 0) await new Promise((r) => setTimeout(r, 1));
  const produceMs = performance.now() - t0;
  const produceCpu = process.cpuUsage(produceCpu0);
  loopDelay.disable();

  let consumeMs = 0;
  let consumeCpu = { user: 0, system: 0 };
  if (consumer !== undefined) {
    const consumeCpu0 = process.cpuUsage();
    const c0 = performance.now();
    for (let i = 0; i < sent; i++) {
      const m = await consumer.receive(30_000);
      consumer.ack(m);
    }
    consumeMs = performance.now() - c0;
    consumeCpu = process.cpuUsage(consumeCpu0);
  }
  const sorted = Float64Array.from(latencies).sort();
  const round = (n: number): number => Number(n.toFixed(2));
  process.stdout.write(
    `${JSON.stringify({
      client: 'beamline',
      messages: sent,
      payloadBytes: size,
      producedPerSec: Math.round((sent / produceMs) * 1000),
      consumedPerSec: consumer === undefined ? 0 : Math.round((sent / consumeMs) * 1000),
      publishLatencyP50Ms: round(percentile(sorted, 0.5)),
      publishLatencyP99Ms: round(percentile(sorted, 0.99)),
      publishLatencyP999Ms: round(percentile(sorted, 0.999)),
      publishLatencyMaxMs: round(sorted[sorted.length - 1] ?? 0),
      latencySamples: sorted.length,
      eventLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6),
      eventLoopDelayMaxMs: round(loopDelay.max / 1e6),
      produceCpuUsPerMsg: round((produceCpu.user + produceCpu.system) / Math.max(1, sent)),
      consumeCpuUsPerMsg: consumer === undefined ? 0 : round((consumeCpu.user + consumeCpu.system) / Math.max(1, sent)),
    })}\n`,
  );
  await producer.close();
  if (consumer !== undefined) await consumer.unsubscribe();
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

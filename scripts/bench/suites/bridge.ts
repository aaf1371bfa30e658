/**
 * `npm run bench -- bridge`: the Pub/Sub bridge (#24) against Google's pstest fake and the
 * broker, in one process, side by side in one run:
 * - `bare loop`: the least a Pub/Sub -> Pulsar copy can do (subscribe, send batched, ack after
 *   the send resolves; no schema, no dead letters, no recovery);
 * - `source`: `PubsubSource` (Avro by the topic's schema, de-duplication, recovered ids);
 * - `sink`: `PubsubSink` (Pulsar -> Pub/Sub, ordering keys, breaker).
 * For each: messages/s draining a backlog of --messages (default 10000), and end-to-end latency
 * p50/p99 at a fixed --rate (default 200 msg/s) for --duration-s (default 20). Every message has
 * an ordering key (--keys, default 100) and every subscription has ordering on, as the bridge
 * expects. pstest hands each streaming-pull stream about one message per 10 ms and keeps one
 * message per key outstanding, so against the fake the Pub/Sub side bounds all three; the ratio
 * to the bare loop is the bridge's own cost.
 */
import { PubSub, type Message as PubsubMessage } from '@google-cloud/pubsub';
import { avroSchema, createClient, PulsarAdmin, type PulsarClient } from '../../../functions/control-plane.ts';
import { PubsubSink, PubsubSource } from '../../../bridge/index.ts';
import { startPubsubFake } from '../../pubsub-fake/fake.ts';
import { numberOption, type BenchContext, type SuiteResult } from '../suite.ts';

const PROJECT = 'beamline-bench';
const STREAMS = 16;
const SCHEMA = {
  type: 'record',
  name: 'BenchEvent',
  fields: [
    { name: 'n', type: 'int' },
    { name: 'sentAt', type: 'double' },
  ],
};

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}
const round = (x: number): number => Math.round(x * 10) / 10;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond() && Date.now() < end) await sleep(5);
  return cond();
}

/** Publishes `count` messages to Pub/Sub, at `rate` per second when given (else as fast as it can). */
async function publishPubsub(ps: PubSub, topicName: string, count: number, keys: number, rate?: number): Promise<void> {
  const topic = ps.topic(topicName, { messageOrdering: true, batching: { maxMessages: 500, maxMilliseconds: rate === undefined ? 5 : 1 } });
  const t0 = Date.now();
  const all: Promise<string>[] = [];
  for (let n = 0; n < count; n++) {
    if (rate !== undefined) {
      const due = t0 + (n * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    all.push(topic.publishMessage({ json: { n, sentAt: Date.now() }, orderingKey: `k${n % keys}` }));
  }
  await Promise.all(all);
}

/** Counts (and times) what lands on a Pulsar topic. */
async function pulsarWatch(
  client: PulsarClient,
  topic: string,
  avro: boolean,
): Promise<{ count: () => number; latencies: number[]; close: () => Promise<void> }> {
  const codec = avroSchema<{ n: number; sentAt: number }>(SCHEMA);
  const consumer = await client.subscribe({
    topic,
    subscription: `watch-${Date.now()}`,
    initialPosition: 'Latest',
    receiverQueueSize: 1000,
  });
  const latencies: number[] = [];
  let n = 0;
  const loop = (async () => {
    for await (const m of consumer) {
      const v = avro ? codec.decode(m.payload) : (JSON.parse(m.payload.toString()) as { sentAt: number });
      latencies.push(Date.now() - v.sentAt);
      n++;
      consumer.ack(m);
    }
  })();
  return {
    count: () => n,
    latencies,
    close: async () => {
      await consumer.close();
      await loop.catch(() => undefined);
    },
  };
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const messages = numberOption(ctx, 'messages', 10_000);
  const rate = numberOption(ctx, 'rate', 200);
  const durationS = numberOption(ctx, 'duration-s', 20);
  const keys = numberOption(ctx, 'keys', 100);
  const auth = ctx.token === undefined ? {} : { token: ctx.token };
  const admin = new PulsarAdmin({ url: ctx.adminUrl, ...auth });
  const client = createClient({ serviceUrl: ctx.serviceUrl, ...auth });
  const fake = await startPubsubFake(0);
  const ps = new PubSub({ projectId: PROJECT, apiEndpoint: fake.host, emulatorMode: true });
  const tenant = `bench-bridge-${Date.now().toString(36)}`;
  const clusters = await admin.clusters.list();
  await admin.tenants.create(tenant, { adminRoles: [], allowedClusters: clusters });
  await admin.namespaces.create(`${tenant}/ns`);
  const t = (name: string): string => `persistent://${tenant}/ns/${name}`;
  for (const name of ['events', 'bare', 'predictions', 'dead-letter']) await admin.topics.createNonPartitioned(t(name));
  await admin.schemas.post(t('events'), { type: 'AVRO', data: JSON.stringify(SCHEMA) });
  const rows: SuiteResult['rows'] = [];
  const fixedCount = Math.round(rate * durationS);

  try {
    // --- Pub/Sub -> Pulsar: the bare loop and the source, each on its own subscription ---------
    for (const which of ['bare loop', 'source'] as const) {
      const topicName = which === 'source' ? 'in-source' : 'in-bare';
      const [topic] = await ps.createTopic(topicName);
      await topic.createSubscription(`${topicName}-sub`, { enableMessageOrdering: true });
      const target = which === 'source' ? t('events') : t('bare');
      let stop: () => Promise<void>;
      if (which === 'source') {
        const source = new PubsubSource(
          {
            subscription: `projects/${PROJECT}/subscriptions/${topicName}-sub`,
            to: `${tenant}/ns/events`,
            maxMessages: 2000,
            streams: STREAMS,
          },
          { client, admin, pubsub: ps, log: ctx.log },
        );
        await source.start();
        stop = () => source.close();
      } else {
        const producer = await client.createProducer({ topic: target, batchingMaxDelayMs: 5, maxPendingMessages: 2000 });
        const sub = ps.subscription(`${topicName}-sub`, {
          flowControl: { maxMessages: 2000, allowExcessMessages: false },
          streamingOptions: { maxStreams: STREAMS },
        });
        sub.on('message', (m: PubsubMessage) => {
          producer.send({ payload: m.data, key: m.orderingKey ?? '', properties: m.attributes, eventTimeMs: m.publishTime.getTime() }).then(
            () => m.ack(),
            () => m.nack(),
          );
        });
        stop = async () => {
          await sub.close();
          await producer.close();
        };
      }
      // Throughput: a backlog drained.
      const watch = await pulsarWatch(client, target, which === 'source');
      ctx.log.info({ which, messages }, 'bridge bench: backlog');
      const t0 = Date.now();
      await publishPubsub(ps, topicName, messages, keys);
      const drained = await until(() => watch.count() >= messages, 600_000);
      const throughput = watch.count() / ((Date.now() - t0) / 1000);
      await watch.close();
      // Latency at a fixed rate.
      const watch2 = await pulsarWatch(client, target, which === 'source');
      ctx.log.info({ which, rate, durationS }, 'bridge bench: fixed rate');
      await publishPubsub(ps, topicName, fixedCount, keys, rate);
      await until(() => watch2.count() >= fixedCount, 120_000);
      const lat = [...watch2.latencies].sort((a, b) => a - b);
      await watch2.close();
      await stop();
      rows.push({
        path: which === 'source' ? 'source (Pub/Sub -> Pulsar)' : 'bare loop (Pub/Sub -> Pulsar)',
        backlog: messages,
        'msgs/s': drained ? Math.round(throughput) : `${Math.round(throughput)} (incomplete)`,
        'rate msg/s': rate,
        'p50 ms': round(percentile(lat, 0.5)),
        'p99 ms': round(percentile(lat, 0.99)),
        delivered: `${watch2.count()}/${fixedCount}`,
      });
    }

    // --- Pulsar -> Pub/Sub: the sink ---------------------------------------------------------
    const [out] = await ps.createTopic('out');
    const [check] = await out.createSubscription('out-check', { enableMessageOrdering: true });
    let received = 0;
    let latencies: number[] = [];
    const sub = ps.subscription('out-check', { streamingOptions: { maxStreams: STREAMS }, flowControl: { maxMessages: 2000 } });
    void check;
    sub.on('message', (m: PubsubMessage) => {
      const v = JSON.parse(m.data.toString()) as { sentAt: number };
      latencies.push(Date.now() - v.sentAt);
      received++;
      m.ack();
    });
    const sink = new PubsubSink(
      { from: `${tenant}/ns/predictions`, topic: `projects/${PROJECT}/topics/out` },
      { client, admin, pubsub: ps, log: ctx.log },
    );
    const producer = await client.createProducer({ topic: t('predictions'), batchingMaxDelayMs: 5 });
    const sends: Promise<unknown>[] = [];
    for (let n = 0; n < messages; n++)
      sends.push(producer.send({ key: `k${n % keys}`, payload: JSON.stringify({ n, sentAt: Date.now() }) }));
    await Promise.all(sends);
    ctx.log.info({ messages }, 'bridge bench: sink backlog');
    // The start is not timed: with the ledger (the default) it reads the ledger back, waiting out
    // its ack deadline (>= 11 s), before it publishes.
    await sink.start();
    const t0 = Date.now();
    const drained = await until(() => received >= messages, 600_000);
    const throughput = received / ((Date.now() - t0) / 1000);
    received = 0;
    latencies = [];
    ctx.log.info({ rate, durationS }, 'bridge bench: sink fixed rate');
    const t1 = Date.now();
    for (let n = 0; n < fixedCount; n++) {
      const due = t1 + (n * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      void producer.send({ key: `k${n % keys}`, payload: JSON.stringify({ n, sentAt: Date.now() }) });
    }
    await until(() => received >= fixedCount, 120_000);
    const lat = [...latencies].sort((a, b) => a - b);
    rows.push({
      path: 'sink (Pulsar -> Pub/Sub)',
      backlog: messages,
      'msgs/s': drained ? Math.round(throughput) : `${Math.round(throughput)} (incomplete)`,
      'rate msg/s': rate,
      'p50 ms': round(percentile(lat, 0.5)),
      'p99 ms': round(percentile(lat, 0.99)),
      delivered: `${received}/${fixedCount}`,
    });
    await sink.close();
    await producer.close();
    await sub.close();
  } finally {
    await client.close();
    await ps.close().catch(() => undefined);
    await fake.stop();
    await admin.tenants.delete(tenant, { force: true }).catch(() => undefined);
  }
  return {
    rows,
    notes: [
      `pstest (cloud.google.com/go/pubsub/v2 v2.9.0) and the broker on this machine; ${keys} ordering keys, ordering on, ${STREAMS} streaming-pull streams.`,
      'Latency: from the publish call (a timestamp in the message) to the receiving side (Pulsar consumer or Pub/Sub subscriber) in the same process.',
      'pstest delivers about one message per stream per 10 ms and one per ordering key at a time: read the source/bare ratio, not the absolute rates.',
      'The sink latency includes a Pub/Sub subscriber on pstest (the same limit); the sink publishes with ordering keys, batched (5 ms).',
      'The sink runs with its ledger (exactly once, the default): one more pull and ack per message; its start (the ledger read-back, >= 11 s) is not in the throughput.',
    ],
  };
}

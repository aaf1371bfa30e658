/**
 * `npm run demo` / `npx beamline demo`: real-time fraud scoring on Pulsar in one command.
 *
 * Uses the cluster in PULSAR_SERVICE_URL/PULSAR_ADMIN_URL (and PULSAR_TOKEN) when set, else
 * starts a local broker; applies tenants/acme-payments.yaml; trains a TF.js fraud model on
 * synthetic payments with planted fraud; runs a namespace worker with the built-in scoring
 * handler; streams payments at --rate for --duration seconds; shows a live view; ends with a
 * summary table and a JSON report (precision and recall of blocks against ground truth).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  PREDICTION_SCHEMA,
  OtlpTracer,
  PulsarAdmin,
  avroSchema,
  createClient,
  startWorker,
  traceProperties,
  type PulsarClient,
  type RunningWorker,
} from '../functions/control-plane.ts';
import { applyTenantPlan, diffTenant, observeTenant } from '../tenants/plan/index.ts';
import { compileTenantSpec } from '../tenants/definition/index.ts';
import { BrokerScriptError, startBroker, stopBroker, type BrokerInfo } from '../local-broker/index.ts';
import { DEMO_MODEL_VERSION, DEMO_NAMESPACE, DEMO_TENANT, demoWorkerOptions } from './handler.ts';
import { PaymentGenerator, type CardAuthorization } from './generator.ts';
import { DemoReplicas, ownershipLine } from './replicas.ts';
import { meanOf, renderLive, renderSummary, sampleOf } from './view.ts';
import { DemoStats, type DecisionSeen, type DemoSummary } from './stats.ts';
import { trainFraudModel } from './train.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const TENANT = DEMO_TENANT;
const NAMESPACE = DEMO_NAMESPACE;
/** The worker's decision-latency SLO bound (its default, sloDecisionLatencyMs). */
const SLO_BOUND_MS = 500;

export interface DemoOptions {
  /** Payments per second. @default 400 */
  rate: number;
  /** @default 60 */
  durationSeconds: number;
  /** @default 4000 */
  cards: number;
  /** @default 0.01 */
  fraudRate: number;
  /** #23: seconds of synthetic warm-up stream the model trains on. @default 300 */
  trainSeconds?: number;
  /**
   * #17: run the namespace as this many worker processes, each owning some of the `events`
   * partitions (1: one worker inside the demo's own process). @default 1
   */
  replicas?: number;
  /**
   * Seeds of the training stream and of the live stream. A person running the demo gets fresh
   * ones every run (the model is not tuned to one stream); a test pins them, because floors on
   * one random 15 s stream are a coin toss. @default fresh random seeds
   */
  seeds?: { train: number; live: number };
  keepRunning: boolean;
  /** @default bench-results/demo-report.json */
  reportFile: string;
  out: (line: string) => void;
  tty: boolean;
  /** Called with every decision the view receives (first copy only); tests check each one. */
  onDecision?: (d: DecisionSeen) => void;
  /**
   * #22: an OpenTelemetry Collector's OTLP/HTTP base URL: the generator starts a trace per payment
   * (sampled at `traceSample`) and the worker continues it. @default off
   */
  otlpEndpoint?: string;
  /** @default 0.1 */
  traceSample?: number;
}

export const DEMO_HELP = `npm run demo -- [options]   (or: npx beamline demo [options])

Real-time fraud scoring on Apache Pulsar: synthetic card payments with planted fraud are scored
by a TF.js model in a Beamline worker; blocks are checked against the generator's ground truth.

Options:
  --rate N          payments per second (default 400)
  --duration S      seconds to stream (default 60)
  --cards N         distinct cards (default 4000: at 400/s each card pays every 10 s)
  --fraud-rate P    share of payments that start a fraud episode (default 0.01)
  --train-seconds S seconds of synthetic warm-up stream to train on (default 300)
  --replicas N      run the namespace as N worker processes sharing its partitions (default 1)
  --keep-running    keep the worker and broker up after the summary, until Ctrl-C
  --report FILE     JSON report (default bench-results/demo-report.json)
  --otlp-endpoint URL   trace payments from the generator through the worker: OTLP/HTTP base URL
                    of an OpenTelemetry Collector, e.g. http://127.0.0.1:4318 (default off)
  --trace-sample P  share of payments traced (default 0.1)

Uses PULSAR_SERVICE_URL / PULSAR_ADMIN_URL / PULSAR_TOKEN when set; otherwise starts a local
Apache Pulsar broker (needs Java 17+ and Maven) and stops it at the end.
`;

export function parseDemoArgs(argv: readonly string[]): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rate: { type: 'string', default: '400' },
      duration: { type: 'string', default: '60' },
      cards: { type: 'string', default: '4000' },
      'fraud-rate': { type: 'string', default: '0.01' },
      'train-seconds': { type: 'string', default: '300' },
      replicas: { type: 'string', default: '1' },
      'keep-running': { type: 'boolean', default: false },
      report: { type: 'string', default: join(repo, 'bench-results', 'demo-report.json') },
      'otlp-endpoint': { type: 'string' },
      'trace-sample': { type: 'string', default: '0.1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const num = (name: string, v: string, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${name}: invalid value ${JSON.stringify(v)}; use a number from ${min} to ${max}`);
    return n;
  };
  return {
    rate: num('rate', values.rate, 1, 100_000),
    durationSeconds: num('duration', values.duration, 1, 86_400),
    cards: Math.floor(num('cards', values.cards, 10, 10_000_000)),
    fraudRate: num('fraud-rate', values['fraud-rate'], 0, 0.5),
    trainSeconds: num('train-seconds', values['train-seconds'], 10, 3600),
    replicas: Math.floor(num('replicas', values.replicas, 1, 16)),
    keepRunning: values['keep-running'],
    reportFile: values.report,
    ...(values['otlp-endpoint'] === undefined ? {} : { otlpEndpoint: values['otlp-endpoint'] }),
    traceSample: num('trace-sample', values['trace-sample'], 0, 1),
    out: (line) => void process.stdout.write(`${line}\n`),
    tty: process.stdout.isTTY === true,
  };
}

interface Cluster {
  serviceUrl: string;
  adminUrl: string;
  token: string | undefined;
  localCluster: string | undefined;
  started: BrokerInfo | undefined;
}

async function cluster(o: DemoOptions): Promise<Cluster> {
  const env = process.env;
  if (env['PULSAR_SERVICE_URL'] && env['PULSAR_ADMIN_URL']) {
    o.out(`using the cluster at ${env['PULSAR_ADMIN_URL']}`);
    return {
      serviceUrl: env['PULSAR_SERVICE_URL'],
      adminUrl: env['PULSAR_ADMIN_URL'],
      token: env['PULSAR_TOKEN'] || undefined,
      localCluster: env['BEAMLINE_LOCAL_CLUSTER'] || env['PULSAR_CLUSTER'],
      started: undefined,
    };
  }
  o.out('no PULSAR_SERVICE_URL set: starting a local Apache Pulsar broker (about 15-40 s; first run fetches its jars)');
  const info = await startBroker({ name: 'demo', offset: 70, log: (l) => o.out(`  ${l.trim()}`) });
  return { serviceUrl: info.serviceUrl, adminUrl: info.adminUrl, token: undefined, localCluster: info.name, started: info };
}

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const c = await cluster(o);
  let client: PulsarClient | undefined;
  let running: RunningWorker | undefined;
  let replicas: DemoReplicas | undefined;
  try {
    const admin = new PulsarAdmin({ url: c.adminUrl, ...(c.token === undefined ? {} : { token: c.token }) });
    const clusters = await admin.clusters.list();
    const local = c.localCluster ?? (clusters.length === 1 ? clusters[0] : undefined);
    const spec = compileTenantSpec(parseYaml(readFileSync(join(repo, 'tenants', `${TENANT}.yaml`), 'utf8')), {
      ...(local === undefined ? {} : { localCluster: local }),
      baseDir: join(repo, 'tenants'),
    });
    const plan = diffTenant(spec, await observeTenant(admin, TENANT, spec));
    await applyTenantPlan(admin, plan);
    o.out(`tenant ${TENANT}: ${plan.changes.length === 0 ? 'already up to date' : `applied ${plan.changes.length} changes`}`);

    const trainSeconds = o.trainSeconds ?? 300;
    o.out(`training a fraud model on a ${trainSeconds} s synthetic warm-up stream (TF.js)...`);
    const t0 = Date.now();
    // #23: one stream at the live run's cards and pace, from empty per-card history (as the live
    // run starts) until the short velocity windows are at steady state; a fresh seed every run.
    const model = await trainFraudModel({
      cards: o.cards,
      eventSpacingMs: 1000 / o.rate,
      events: Math.round(o.rate * trainSeconds),
      liveRunEvents: Math.round(o.rate * o.durationSeconds),
      fraudRate: o.fraudRate,
      ...(o.seeds === undefined ? {} : { seed: o.seeds.train }),
    });
    const best = model.evaluation.find((e) => e.threshold === 0.9);
    o.out(
      `  trained in ${((Date.now() - t0) / 1000).toFixed(1)} s on ${model.backend} (seed ${model.seed}, ${model.trainRows} rows); held-out precision ${best?.precision.toFixed(2)} / recall ${best?.recall.toFixed(2)} at score 0.9; review from score ${model.reviewAtScore} (held-out recall ${model.evaluation.find((e) => e.threshold === model.reviewAtScore)?.recall.toFixed(2)})`,
    );
    const modelDir = join(repo, '.beamline', 'demo-model');
    mkdirSync(modelDir, { recursive: true });
    writeFileSync(join(modelDir, 'model.json'), model.modelJson);
    writeFileSync(join(modelDir, 'weights.bin'), model.weights);
    writeFileSync(join(modelDir, 'policy.json'), JSON.stringify({ reviewAtScore: model.reviewAtScore }));

    const replicaCount = o.replicas ?? 1;
    if (replicaCount > 1) {
      replicas = await DemoReplicas.start({
        count: replicaCount,
        serviceUrl: c.serviceUrl,
        adminUrl: c.adminUrl,
        token: c.token,
        modelDir,
        piiKey: randomBytes(32),
        ...(o.otlpEndpoint === undefined ? {} : { otlpEndpoint: o.otlpEndpoint }),
      });
      o.out(
        `${replicaCount} worker processes running (model ${DEMO_MODEL_VERSION} on ${replicas.backend}; metrics at ${replicas.replicas
          .map((r) => `:${r.metricsPort}`)
          .join(' ')}); partitions: ${ownershipLine(replicas.replicas)}`,
      );
    } else {
      running = await startWorker(
        demoWorkerOptions({
          serviceUrl: c.serviceUrl,
          adminUrl: c.adminUrl,
          token: c.token,
          model: { modelJson: model.modelJson, weights: model.weights, reviewAtScore: model.reviewAtScore },
          piiKey: randomBytes(32),
          otlpEndpoint: o.otlpEndpoint,
        }),
      );
      o.out(
        `worker running (model ${DEMO_MODEL_VERSION} on ${running.modelBackend}; metrics at http://127.0.0.1:${running.http?.port}/metrics)`,
      );
    }

    client = createClient({ serviceUrl: c.serviceUrl, ...(c.token === undefined ? {} : { token: c.token }) });
    const stats = new DemoStats();
    // The predictions topic's consumer reads committed messages only (the broker never delivers
    // a transaction's messages before its commit), so its receive time is when a user could act.
    const predictions = await client.subscribe({
      topic: `persistent://${TENANT}/${NAMESPACE}/predictions`,
      subscription: `demo-view-${Date.now()}`,
      initialPosition: 'Latest',
      subscriptionType: 'Exclusive',
    });
    const prediction = avroSchema<{ eventId: string; decision: string; modelVersion: string | null; eventTime: number }>(PREDICTION_SCHEMA);
    const reading = (async () => {
      for await (const m of predictions) {
        // Read the clock first: decoding is this view's cost, not the pipeline's.
        const receivedAt = Date.now();
        try {
          const p = prediction.decode(m.payload);
          const d: DecisionSeen = {
            eventId: p.eventId,
            decision: p.decision,
            receivedLatencyMs: receivedAt - p.eventTime,
            publishLatencyMs: m.publishTimeMs - p.eventTime,
            modelVersion: p.modelVersion,
            messageId: m.id.toString(),
          };
          if (stats.recordDecision(d)) o.onDecision?.(d);
        } catch {
          // A record this view cannot read is not the demo's to judge.
        }
        predictions.ack(m);
      }
    })();

    const eventsDefinition = spec.namespaces.find((n) => n.name === `${TENANT}/${NAMESPACE}`)?.topics.find((t) => t.kind === 'events')
      ?.schema?.data;
    if (eventsDefinition === undefined) throw new Error(`tenants/${TENANT}.yaml has no events schema for ${NAMESPACE}`);
    const eventsSchema = avroSchema<CardAuthorization>(eventsDefinition);
    const producer = await client.createProducer({
      topic: `persistent://${TENANT}/${NAMESPACE}/events`,
      schema: eventsSchema,
      batching: true,
      batchingMaxDelayMs: 1,
      batchingType: 'key-based',
    });
    // Card ids unique to this run: per-card history an earlier run left in the worker's state
    // on this cluster never mixes into this run's features (the model was trained on runs of
    // this length from empty history).
    const tracer =
      o.otlpEndpoint === undefined
        ? undefined
        : new OtlpTracer({ endpoint: o.otlpEndpoint, sampleRatio: o.traceSample ?? 0.1, serviceName: 'demo-generator' });
    // #23: a fresh seed, never the training stream's.
    const liveSeed = o.seeds?.live ?? (model.seed + 1 + randomInt(1, 1_000_000)) % 2 ** 31;
    o.out(`live stream seed ${liveSeed}`);
    const run = `r${Date.now().toString(36)}`;
    const gen = new PaymentGenerator({
      seed: liveSeed,
      cards: o.cards,
      fraudRate: o.fraudRate,
      idPrefix: `${run}-`,
      eventIdPrefix: `${run}-ev-`,
    });

    let stopping = false;
    const onSigint = (): void => {
      stopping = true;
    };
    process.once('SIGINT', onSigint);
    const view = setInterval(() => {
      void (async () => {
        const w = stats.takeWindow();
        const lat = stats.recentLatency(2000, SLO_BOUND_MS);
        // #22: backlog and batch fill from the workers' own /metrics figures.
        const texts = replicas !== undefined ? await replicas.metrics() : [(await running?.metrics.render().catch(() => '')) ?? ''];
        const backlogs = texts.map((t) => sampleOf(t, 'beamline_consumer_backlog_messages')).filter((n) => n !== undefined);
        const fills = texts.map((t) => meanOf(t, 'beamline_inference_batch_fill_ratio')).filter((n) => n !== undefined);
        o.out(
          renderLive({
            tty: o.tty,
            sentPerSecond: w.sent,
            decidedPerSecond: w.decided,
            p50: lat.p50,
            p99: lat.p99,
            sent: stats.sent,
            decided: stats.decided,
            worker: replicas?.state ?? running?.worker.state ?? '?',
            slo: { boundMs: SLO_BOUND_MS, withinBound: lat.withinBound },
            // Each replica reports the subscription's whole backlog: the largest is the freshest.
            ...(backlogs.length === 0 ? {} : { backlog: Math.max(...backlogs) }),
            ...(fills.length === 0 ? {} : { batchFill: fills.reduce((a, b) => a + b, 0) / fills.length }),
            modelVersion: stats.lastModelVersion,
            reviews: stats.reviews,
            ...(replicas === undefined ? {} : { partitions: ownershipLine(replicas.replicas) }),
          }),
        );
      })();
    }, 1000);
    const endAt = Date.now() + o.durationSeconds * 1000;
    const periodMs = 1000 / o.rate;
    let next = Date.now();
    while (!stopping && Date.now() < endAt) {
      const now = Date.now();
      if (now < next) {
        await new Promise((r) => setTimeout(r, Math.min(next - now, 50)));
        continue;
      }
      // Catch up in small bursts so the average rate holds on a busy event loop.
      const due = Math.min(200, Math.floor((now - next) / periodMs) + 1);
      for (let i = 0; i < due; i++) {
        const p = gen.next(Date.now());
        stats.recordSent(p.event.eventId, p.fraud);
        // #22: the generator is a producer like any other: a publish span, its context in the message.
        const span = tracer?.startSpan(`persistent://${TENANT}/${NAMESPACE}/events publish`, {
          kind: 'producer',
          attributes: {
            'messaging.system': 'pulsar',
            'messaging.destination.name': `persistent://${TENANT}/${NAMESPACE}/events`,
            'messaging.operation.type': 'send',
          },
        });
        void producer.send({
          payload: eventsSchema.encode(p.event),
          key: p.event.cardId,
          eventTimeMs: p.event.timestamp,
          properties: traceProperties(span?.context),
        });
        span?.end();
      }
      next += due * periodMs;
    }
    await producer.flush();
    await tracer?.close();
    // Wait for the last decisions (bounded), then summarize.
    const waitUntil = Date.now() + 30_000;
    while (stats.decided < stats.sent && Date.now() < waitUntil && !stopping) await new Promise((r) => setTimeout(r, 100));
    clearInterval(view);
    process.off('SIGINT', onSigint);
    const summary: DemoSummary = {
      ...stats.summary(),
      ...(replicas === undefined
        ? {}
        : { replicas: replicas.replicas.map((r) => ({ name: r.name, owned: [...r.owned] })), partitionMoves: replicas.moves }),
    };
    o.out(renderSummary(summary));
    mkdirSync(dirname(o.reportFile), { recursive: true });
    writeFileSync(o.reportFile, `${JSON.stringify(summary, null, 2)}\n`);
    o.out(`report: ${o.reportFile}`);
    if (o.keepRunning && !stopping) {
      o.out('keeping the worker running; Ctrl-C to stop');
      await new Promise<void>((r) => process.once('SIGINT', () => r()));
    }
    await producer.close();
    await predictions.close();
    await reading.catch(() => undefined);
    return summary;
  } finally {
    await running?.stop().catch(() => undefined);
    await replicas?.stop().catch(() => undefined);
    await client?.close().catch(() => undefined);
    if (c.started !== undefined) {
      o.out('stopping the local broker');
      await stopBroker(c.started.name).catch(() => undefined);
    }
  }
}

export async function demoMain(argv: readonly string[]): Promise<number> {
  let o: DemoOptions | 'help';
  try {
    o = parseDemoArgs(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  if (o === 'help') {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  try {
    await runDemo(o);
    return 0;
  } catch (err) {
    if (err instanceof BrokerScriptError) {
      process.stderr.write(`error: ${err.message}\nfix: ${err.fix}\n`);
      if (err.logTail) process.stderr.write(`--- broker log (tail) ---\n${err.logTail}\n`);
    } else {
      process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    return 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  demoMain(process.argv.slice(2)).then((code) => process.exit(code));
}

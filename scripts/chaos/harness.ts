/**
 * The chaos suite's moving parts and one scenario's run. One broker of the suite's own (it is
 * killed and paused), the TCP proxy between worker and broker, the model server and webhook
 * receiver; per scenario a fresh namespace, a fresh worker process, `beamline actions` (an
 * ActionConsumer) delivering blocks to the webhook, a producer streaming payments at the set
 * rate and an observer of the `predictions` topic.
 *
 * Timeline of a scenario: `warmup` (until the worker keeps up; not measured) -> `before` (steady rate) -> inject -> `during` (fault held) -> heal ->
 * `recovering` (until the lag is back under the threshold) -> `after` (steady rate) -> stop
 * producing -> wait for every acknowledged event's decision -> stop the worker -> verdict.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  PulsarAdmin,
  compilePriorityRule,
  createClient,
  jsonSchema,
  type Consumer,
  type Producer,
  type PulsarClient,
} from '../../functions/control-plane.ts';
import { ActionConsumer } from '../../sinks/index.ts';
import { isAlive, startBroker, stopBroker, type BrokerInfo } from '../../local-broker/index.ts';
import { DecisionLedger, recoveredAt, type Phase } from './measure.ts';
import { PRIORITY_RULE, PRIORITY_TOPIC } from './priority.ts';
import type { ChildConfig } from './worker-child.ts';
import { ChaosModelServer } from './model-server.ts';
import { ChaosProxy } from './tcp-proxy.ts';
import { ChaosWebhookServer } from './webhook-server.ts';

const WORKER_CHILD = fileURLToPath(new URL('./worker-child.ts', import.meta.url));
const SUBSCRIPTION = 'beamline-worker';
const TOPICS = ['events', PRIORITY_TOPIC, 'predictions', 'actions', 'review', 'dead-letter', 'state'] as const;

export interface ChaosEnv {
  broker: BrokerInfo;
  readonly brokerName: string;
  readonly brokerOffset: number;
  readonly proxy: ChaosProxy;
  readonly model: ChaosModelServer;
  readonly webhook: ChaosWebhookServer;
  readonly client: PulsarClient;
  readonly admin: PulsarAdmin;
  readonly tenant: string;
  readonly log: (line: string) => void;
}

export interface Timing {
  /** Base rate, events per second. */
  rate: number;
  beforeS: number;
  afterS: number;
  /** Longest wait for the lag to come back after healing. */
  maxRecoverS: number;
  /** Worker heap ceiling (the expectation for bounded memory). */
  heapCeilingMiB: number;
  /**
   * Priority events (PRIORITY_RULE) go to their own topic, which the worker takes first (#26);
   * false sends them to `events` with the rest (for comparison). @default true
   */
  lanes: boolean;
}

export interface Scenario {
  readonly name: string;
  /** The written expectation the verdict checks. */
  readonly expectation: string;
  /** How long the fault is held. */
  readonly faultS: number;
  /** Rate multiplier while the fault is held. @default 1 */
  readonly rateFactor?: number;
  /** Records that are not JSON, sent at the start of the fault (they must be dead-lettered). */
  readonly poison?: number;
  inject(env: ChaosEnv): Promise<void>;
  heal(env: ChaosEnv): Promise<void>;
  /** Extra checks on what was measured; each string is a reason for failing. */
  check?(r: ScenarioResult): string[];
}

export interface ScenarioResult {
  scenario: string;
  expectation: string;
  verdict: 'pass' | 'fail';
  reasons: string[];
  sent: number;
  unackedSends: number;
  lost: number;
  duplicated: number;
  deadLettered: number;
  poison: number;
  fallbacksDuring: number;
  /**
   * Fallback decisions for events of any phase: a worker behind its input scores older events
   * while the model is stalled, and the events sent during the stall only after it healed.
   */
  fallbacks: number;
  recoverS: number | null;
  peakLag: number;
  peakBacklog: number | null;
  heapPeakMiB: number;
  p99BeforeMs: number | null;
  p99DuringMs: number | null;
  p99AfterMs: number | null;
  p99PriorityDuringMs: number | null;
  p99NormalDuringMs: number | null;
  /** Priority events had their own lane (Timing.lanes). */
  lanes: boolean;
  blocks: number;
  actionsMissing: number;
  actionRepeats: number;
  durationS: number;
}

interface Event {
  eventId: string;
  cardId: string;
  amount: number;
  channel: string;
}
const EVENT_SCHEMA = jsonSchema<Event>({
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'eventId', type: 'string' },
    { name: 'cardId', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'channel', type: 'string' },
  ],
});

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, sleep(ms).then(() => undefined)]);
}

/** Deterministic pseudo-random in [0, 1) for event number `n`. */
function unit(n: number): number {
  const x = Math.sin(n * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x);
}

/** One payment: 10 % are priority events (amount 1000-5000; half of those block), the rest small. */
export function payment(tag: string, n: number): Event {
  const r = unit(n);
  const amount = r < 0.1 ? 1000.5 + (r / 0.1) * 4000 : 5 + unit(n + 0.5) * 895;
  return { eventId: `${tag}-${n}`, cardId: `c${n % 500}`, amount: Math.round(amount * 100) / 100, channel: n % 7 === 0 ? 'ATM' : 'POS' };
}

export async function startEnv(o: { brokerName: string; brokerOffset: number; log: (line: string) => void }): Promise<ChaosEnv> {
  await stopBroker(o.brokerName);
  const broker = await startBroker({ name: o.brokerName, offset: o.brokerOffset, log: (l) => o.log(`broker: ${l.trim()}`) });
  const proxy = await ChaosProxy.start({ target: { host: '127.0.0.1', port: broker.ports.broker } });
  const model = await ChaosModelServer.start();
  const webhook = await ChaosWebhookServer.start();
  const client = createClient({ serviceUrl: broker.serviceUrl, operationTimeoutMs: 60_000, maxBackoffMs: 1_000 });
  const admin = new PulsarAdmin({ url: broker.adminUrl });
  const tenant = `chaos${Date.now().toString(36)}`;
  await admin.tenants.create(tenant, { adminRoles: [], allowedClusters: [o.brokerName] });
  return { broker, brokerName: o.brokerName, brokerOffset: o.brokerOffset, proxy, model, webhook, client, admin, tenant, log: o.log };
}

export async function stopEnv(env: ChaosEnv): Promise<void> {
  await env.client.close().catch(() => undefined);
  await env.proxy.close().catch(() => undefined);
  await env.model.close().catch(() => undefined);
  await env.webhook.close().catch(() => undefined);
  await stopBroker(env.brokerName).catch(() => undefined);
}

/** True once nothing listens on `port` (a killed JVM's last threads can hold it after its pid is gone). */
function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** SIGKILLs the broker's JVM and waits until it is gone. */
export async function killBroker(env: ChaosEnv): Promise<void> {
  const pid = env.broker.pid;
  process.kill(pid, 'SIGKILL');
  await until(() => !isAlive(pid), 30_000);
  for (const port of [env.broker.ports.broker, env.broker.ports.web, env.broker.ports.bookie]) {
    for (const deadline = Date.now() + 30_000; !(await portClosed(port)) && Date.now() < deadline;) await sleep(100);
  }
}

/** Starts the broker again on its data (same ports: the proxy's target does not change). */
export async function restartBroker(env: ChaosEnv): Promise<void> {
  env.broker = await startBroker({
    name: env.brokerName,
    offset: env.brokerOffset,
    keepData: true,
    log: (l) => env.log(`broker: ${l.trim()}`),
  });
}

interface Worker {
  child: ChildProcess;
  heapPeak: number;
  exited: boolean;
}

async function startWorkerChild(env: ChaosEnv, namespace: string, lanes: boolean): Promise<Worker> {
  const config: ChildConfig = {
    serviceUrl: env.proxy.url,
    adminUrl: env.broker.adminUrl,
    tenant: env.tenant,
    namespace,
    modelUrl: env.model.url,
    ...(lanes ? { priorityTopic: PRIORITY_TOPIC } : {}),
  };
  const child = spawn(process.execPath, [WORKER_CHILD, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const w: Worker = { child, heapPeak: 0, exited: false };
  let ready = false;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.startsWith('ready ')) ready = true;
    const m = /^heap (\d+) /.exec(line);
    if (m !== null) w.heapPeak = Math.max(w.heapPeak, Number(m[1]));
  });
  child.once('exit', () => (w.exited = true));
  if (!(await until(() => ready || w.exited, 120_000)) || w.exited) {
    child.kill('SIGKILL');
    throw new Error(`the chaos worker did not start (namespace ${namespace})`);
  }
  return w;
}

async function stopWorkerChild(w: Worker): Promise<void> {
  if (w.exited) return;
  w.child.kill('SIGTERM');
  if (!(await until(() => w.exited, 45_000))) w.child.kill('SIGKILL');
  await until(() => w.exited, 10_000);
}

async function readPredictions(
  client: PulsarClient,
  topic: string,
  each: (eventId: string, messageId: string, decision: string, fallback: boolean) => void,
): Promise<void> {
  const reader = await client.createReader({ topic, startMessageId: 'earliest', receiverQueueSize: 1000 });
  try {
    while (await reader.hasMessageAvailable()) {
      const m = await reader.readNext(30_000);
      const p = JSON.parse(m.payload.toString('utf8')) as { eventId: string; decision: string; fallbackReason: string | null };
      each(p.eventId, m.id.toString(), p.decision, p.fallbackReason !== null);
    }
  } finally {
    await reader.close();
  }
}

async function countMessages(client: PulsarClient, topic: string): Promise<number> {
  const reader = await client.createReader({ topic, startMessageId: 'earliest', receiverQueueSize: 1000 });
  let n = 0;
  try {
    while (await reader.hasMessageAvailable()) {
      await reader.readNext(30_000);
      n++;
    }
  } finally {
    await reader.close();
  }
  return n;
}

export async function runScenario(env: ChaosEnv, sc: Scenario, t: Timing): Promise<ScenarioResult> {
  const started = performance.now();
  const namespace = `${sc.name}-${Date.now().toString(36)}`;
  const topic = (name: string): string => `persistent://${env.tenant}/${namespace}/${name}`;
  await env.admin.namespaces.create(`${env.tenant}/${namespace}`);
  for (const name of TOPICS) {
    await env.admin.topics.createNonPartitioned(topic(name));
    // As `beamline tenant apply` sets them up: a resend of a message the broker already stored
    // (its receipt lost in a fault) is dropped, so a second output can only be a second decision.
    await env.admin.topics.setDeduplication(topic(name), true);
  }
  const ledger = new DecisionLedger();
  const blocks = new Set<string>();
  let phase: Phase = 'warmup';

  const observer: Consumer = await env.client.subscribe({
    topic: topic('predictions'),
    subscription: 'chaos-observer',
    initialPosition: 'Earliest',
    subscriptionType: 'Exclusive',
  });
  const observing = (async () => {
    for await (const m of observer) {
      try {
        const p = JSON.parse(m.payload.toString('utf8')) as { eventId: string; decision: string; fallbackReason: string | null };
        ledger.decided(p.eventId, m.id.toString(), performance.now(), p.fallbackReason !== null);
        if (p.decision === 'block') blocks.add(`${p.eventId}:block`);
      } catch {
        // Not a prediction of ours: not this suite's to judge.
      }
      observer.ack(m);
    }
  })();
  const actions = await ActionConsumer.create({
    client: env.client,
    tenant: env.tenant,
    namespace,
    redeliveryDelayMs: 1_000,
    sinks: [{ name: 'chaos-webhook', url: env.webhook.url, timeoutMs: 1_000, retryBaseMs: 50, retryMaxMs: 500, resetTimeoutMs: 2_000 }],
  });
  actions.start();
  const repeatsBefore = env.webhook.repeats;
  const worker = await startWorkerChild(env, namespace, t.lanes);
  const eventsProducer = (name: string): Promise<Producer> =>
    env.client.createProducer({
      topic: topic(name),
      schema: EVENT_SCHEMA,
      batching: true,
      batchingMaxDelayMs: 2,
      sendTimeoutMs: 0,
      maxPendingMessages: 50_000,
    });
  const producer = await eventsProducer('events');
  // #26: the producer routes priority events by the worker's own rule.
  const isPriority = compilePriorityRule(PRIORITY_RULE);
  const urgent = t.lanes ? await eventsProducer(PRIORITY_TOPIC) : undefined;

  // Producer: the base rate, times rateFactor while the fault is held.
  let n = 0;
  let producing = true;
  let rate = t.rate;
  let poisonLeft = 0;
  const producing$ = (async () => {
    let next = performance.now();
    while (producing) {
      const now = performance.now();
      if (now < next) {
        await sleep(Math.min(next - now, 20));
        continue;
      }
      const period = 1000 / rate;
      const due = Math.min(500, Math.floor((now - next) / period) + 1);
      for (let i = 0; i < due; i++) {
        if (poisonLeft > 0) {
          poisonLeft--;
          void producer
            .send({ payload: Buffer.from(`{"eventId": "poison-${poisonLeft}", not json`), key: `poison-${poisonLeft}` })
            .catch(() => undefined);
          continue;
        }
        const e = payment(namespace, n++);
        const priority = isPriority(e);
        ledger.sent(e.eventId, performance.now(), phase, priority);
        (priority && urgent !== undefined ? urgent : producer).send({ payload: EVENT_SCHEMA.encode(e), key: e.cardId }).then(
          () => ledger.acked(e.eventId),
          () => undefined,
        );
      }
      next += due * period;
    }
  })();

  // Sampler: lag every 250 ms, the broker's backlog every second (when it answers).
  const timeline: Array<{ at: number; lag: number }> = [];
  let peakBacklog: number | null = null;
  let sampling = true;
  const sampling$ = (async () => {
    let tick = 0;
    while (sampling) {
      timeline.push({ at: performance.now(), lag: ledger.lag });
      if (tick++ % 4 === 0) {
        const stats = await withTimeout(
          env.admin.topics.getStats(topic('events')).catch(() => undefined),
          1_000,
        );
        const b = stats?.subscriptions?.[SUBSCRIPTION]?.msgBacklog;
        if (typeof b === 'number') peakBacklog = Math.max(peakBacklog ?? 0, b);
      }
      await sleep(250);
    }
  })();

  const reasons: string[] = [];
  let recoverS: number | null = null;
  try {
    // Warm-up (not measured): the worker's first batches fetch schemas and open transactions.
    const threshold = Math.max(50, t.rate);
    await sleep(2_000);
    await until(() => ledger.lag <= threshold / 2, 60_000);
    phase = 'before';
    await sleep(t.beforeS * 1000);
    phase = 'during';
    env.log(`${sc.name}: inject`);
    poisonLeft = sc.poison ?? 0;
    rate = t.rate * (sc.rateFactor ?? 1);
    await sc.inject(env);
    await sleep(sc.faultS * 1000);
    rate = t.rate;
    env.log(`${sc.name}: heal`);
    await sc.heal(env);
    const healedAt = performance.now();
    phase = 'recovering';
    await until(() => recoveredAt(timeline, healedAt, threshold) !== undefined, t.maxRecoverS * 1000);
    const at = recoveredAt(timeline, healedAt, threshold);
    if (at === undefined) reasons.push(`lag still above ${threshold} events ${t.maxRecoverS} s after healing`);
    else recoverS = (at - healedAt) / 1000;
    phase = 'after';
    await sleep(t.afterS * 1000);
  } finally {
    producing = false;
    await producing$;
  }
  await withTimeout(Promise.all([producer.flush(), urgent?.flush()]), 120_000);
  // Every acknowledged event decided (bounded wait), then time for a late duplicate to show.
  await until(() => ledger.complete(), t.maxRecoverS * 1000);
  await until(() => [...blocks].every((k) => env.webhook.applied.has(k)), 60_000);
  await sleep(2_000);
  sampling = false;
  await sampling$;
  await stopWorkerChild(worker);
  await actions.close().catch(() => undefined);
  await producer.close().catch(() => undefined);
  await urgent?.close().catch(() => undefined);
  await observer.close().catch(() => undefined);
  await observing.catch(() => undefined);
  const deadLettered = await countMessages(env.client, topic('dead-letter')).catch(() => -1);
  // The truth is the predictions topic itself (committed outputs only): whatever the live
  // observer missed while it reconnected is counted from there (same message ids: no duplicates).
  await readPredictions(env.client, topic('predictions'), (eventId, messageId, decision, fallback) => {
    ledger.decided(eventId, messageId, undefined, fallback);
    if (decision === 'block') blocks.add(`${eventId}:block`);
  }).catch((err: unknown) => reasons.push(`could not read the predictions topic back: ${(err as Error).message}`));
  if (!ledger.complete()) reasons.push(`not every acknowledged event was decided within ${t.maxRecoverS} s of the end`);

  const lost = ledger.lost().length;
  const duplicated = ledger.duplicated().length;
  const heapPeakMiB = Math.round((worker.heapPeak / 2 ** 20) * 10) / 10;
  const actionsMissing = [...blocks].filter((k) => !env.webhook.applied.has(k)).length;
  const during = ledger.latency('during');
  const r: ScenarioResult = {
    scenario: sc.name,
    expectation: sc.expectation,
    verdict: 'pass',
    reasons,
    sent: ledger.sentCount,
    unackedSends: ledger.unacked(),
    lost,
    duplicated,
    deadLettered,
    poison: sc.poison ?? 0,
    fallbacksDuring: ledger.fallbacks('during'),
    fallbacks: ledger.fallbacks(),
    recoverS: recoverS === null ? null : Math.round(recoverS * 10) / 10,
    peakLag: Math.max(0, ...timeline.map((s) => s.lag)),
    peakBacklog,
    heapPeakMiB,
    p99BeforeMs: ledger.latency('before').p99Ms,
    p99DuringMs: during.p99Ms,
    p99AfterMs: ledger.latency('after').p99Ms,
    p99PriorityDuringMs: ledger.latency('during', 'priority').p99Ms,
    p99NormalDuringMs: ledger.latency('during', 'normal').p99Ms,
    lanes: t.lanes,
    blocks: blocks.size,
    actionsMissing,
    actionRepeats: env.webhook.repeats - repeatsBefore,
    durationS: Math.round((performance.now() - started) / 1000),
  };
  if (lost > 0) reasons.push(`${lost} acknowledged events never decided (e.g. ${ledger.lost().slice(0, 3).join(', ')})`);
  if (duplicated > 0) reasons.push(`${duplicated} events decided more than once (e.g. ${ledger.duplicated().slice(0, 3).join(', ')})`);
  if (heapPeakMiB > t.heapCeilingMiB) reasons.push(`worker heap peaked at ${heapPeakMiB} MiB, above the ${t.heapCeilingMiB} MiB ceiling`);
  if (deadLettered !== r.poison) reasons.push(`${deadLettered} records dead-lettered, expected exactly the ${r.poison} poison records`);
  if (actionsMissing > 0) reasons.push(`${actionsMissing} block actions never reached the webhook`);
  reasons.push(...(sc.check?.(r) ?? []));
  r.verdict = reasons.length === 0 ? 'pass' : 'fail';
  env.log(`${sc.name}: ${r.verdict}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`);
  return r;
}

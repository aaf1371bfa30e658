/**
 * The edge-outage drill (#19), shared by test/integration/geo.test.ts and `npm run bench -- geo`:
 * ride telemetry is produced on edge-nyc at a fixed rate (keyed by trip) and decided there by the
 * ride-safety worker (tenants/examples/ride-safety.worker.yaml, started by the caller), while
 * central watches the replicated events, predictions and review topics. Then the link to central
 * is cut for `outageMs`, and healed; the edge keeps producing and deciding throughout. Two cuts:
 * - `freeze` (default): central's JVM is stopped with SIGSTOP and resumed with SIGCONT. To every
 *   edge that is a network partition that black-holes packets (connections hang, nothing is
 *   refused), the hard case for failure detection, and it heals in a second instead of a JVM
 *   restart that takes minutes on a loaded machine;
 * - `stop`: central's broker is stopped and started again on its data (a clean outage; its restart
 *   time comes on top of `outageMs`). The result counts what central received (by id: lost and duplicated), the
 * replication lag before the cut, the edge's decision latency before and during the cut, and the
 * catch-up time.
 *
 * An event's id is its trip and its timestamp (unique: timestamps never repeat within a drill),
 * and the worker's prediction carries both, so events and decisions are matched one to one.
 */
import { avroSchema, createClient, type Message, type PulsarClient } from '@beamline/pulsar';
import { startGeo, stopGeo } from '../../local-broker/index.ts';
import type { TenantConfig } from '../../tenants/definition/index.ts';
import type { GeoTopology } from './geo-topology.ts';

export interface DrillOptions {
  readonly topo: GeoTopology;
  readonly config: TenantConfig;
  /** Events per second the edge produces. */
  readonly ratePerSec: number;
  /** Traffic before the cut (steady-state lag and decision latency are measured here, after `settleMs`). */
  readonly warmMs: number;
  /** The start of the warm phase left out of "before" figures (consumers and batches warming up). @default 2000 */
  readonly settleMs?: number;
  /** How long the link stays cut (with `stop`, before central's restart begins; the restart time comes on top). 0 = no outage. */
  readonly outageMs: number;
  /** How the link is cut (see above). @default 'freeze' */
  readonly cut?: 'freeze' | 'stop';
  /** Trips the events are spread over (the message key). @default 100 */
  readonly trips?: number;
  /** Run while the link is cut, after `outageMs` (e.g. wait until geo status reports the link down); the cut lasts until it resolves. */
  readonly duringOutage?: () => Promise<void>;
  /** How long to wait for central to catch up. @default 240000 */
  readonly catchUpTimeoutMs?: number;
  readonly log: (line: string) => void;
}

export interface IdCount {
  readonly expected: number;
  readonly received: number;
  readonly lost: number;
  readonly duplicated: number;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface DrillResult {
  readonly sent: number;
  /** The production rate reached (events over the time the edge produced). */
  readonly producedPerSec: number;
  /** Events decided at the edge (a prediction on the edge's predictions topic). */
  readonly decided: number;
  readonly events: IdCount;
  readonly decisions: IdCount;
  /** Review cases from the drill's planted harsh-braking trips that reached central. */
  readonly reviewCasesAtCentral: number;
  /** Model versions named by the edge's decisions, with counts. */
  readonly modelVersions: Readonly<Record<string, number>>;
  /** Edge publish time -> central receive, for messages received while the link was up, before the cut. */
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  /** Edge decision latency (event time -> prediction read back on the edge), link up, after `settleMs`. */
  readonly decisionBefore: LatencySummary;
  /** The same while the link was cut (with `stop`: central's broker down, before its restart began). */
  readonly decisionDown: LatencySummary;
  /** With `stop`: the same while central's JVM restarted on the same machine (competing for its cores). */
  readonly decisionRestarting: LatencySummary;
  /** Link cut -> central reachable and ready again. */
  readonly outageMs: number;
  /** Central ready again -> every event and decision present at central. */
  readonly catchUpMs: number;
  readonly caughtUp: boolean;
}

type Phase = 'settle' | 'warm' | 'down' | 'restarting' | 'after';

interface Seen {
  counts: Map<string, number>;
  lags: number[];
}

/** Planted unsafe trips: every 25th brakes harshly at every point (review cases at central). */
const HARSH_EVERY = 25;

export async function runEdgeDrill(o: DrillOptions): Promise<DrillResult> {
  const nyc = o.config.namespaces.find((n) => n.region === 'edge-nyc');
  if (nyc === undefined) throw new Error('the spec has no edge-nyc region');
  const topic = (kind: string): { name: string; schema: ReturnType<typeof avroSchema> } => {
    const t = nyc.topics.find((x) => x.kind === kind);
    if (t?.schema == null) throw new Error(`topic ${kind} has no schema in the spec`);
    return { name: t.name, schema: avroSchema(t.schema.data) };
  };
  const events = topic('events');
  const predictions = topic('predictions');
  const review = topic('review');
  const trips = o.trips ?? 100;
  const edge = createClient({ serviceUrl: o.topo.clusters['edge-nyc'].info.serviceUrl, operationTimeoutMs: 15_000 });
  const central = createClient({
    serviceUrl: o.topo.clusters.central.info.serviceUrl,
    operationTimeoutMs: 15_000,
    initialBackoffMs: 200,
    maxBackoffMs: 2000,
  });
  let phase = 'settle' as Phase;
  // Trip ids unique to this drill: other traffic on the same topics is not counted.
  const prefix = `d${Date.now().toString(36)}-`;
  const ours = (tripId: string): boolean => tripId.startsWith(prefix);
  const idOf = (v: Record<string, unknown>): string => `${String(v['tripId'])}@${String(v['timestamp'])}`;
  try {
    const seenEvents: Seen = { counts: new Map(), lags: [] };
    const seenDecisions: Seen = { counts: new Map(), lags: [] };
    const seenReview: Seen = { counts: new Map(), lags: [] };
    const measuringLag = (): boolean => phase === 'warm';
    const watchers = [
      await watch(central, events.name, events.schema, seenEvents, ours, idOf, measuringLag),
      await watch(central, predictions.name, predictions.schema, seenDecisions, ours, idOf, measuringLag),
      await watch(central, review.name, review.schema, seenReview, ours, idOf, () => false),
    ];

    // The edge's decisions, read back on the edge: which events were decided, how fast, by which model.
    const latency: Record<'warm' | 'down' | 'restarting', number[]> = { warm: [], down: [], restarting: [] };
    const decidedIds = new Set<string>();
    const modelVersions: Record<string, number> = {};
    const edgeDecisions = await edge.subscribe({ topic: predictions.name, subscription: 'drill-edge-latency', initialPosition: 'Latest' });
    let reading = true;
    const readLoop = (async () => {
      while (reading) {
        let m: Message;
        try {
          m = await edgeDecisions.receive(500);
        } catch {
          continue;
        }
        edgeDecisions.ack(m);
        const v = predictions.schema.decode(m.payload) as Record<string, unknown>;
        if (!ours(String(v['tripId']))) continue;
        decidedIds.add(idOf(v));
        const mv = String(v['modelVersion']);
        modelVersions[mv] = (modelVersions[mv] ?? 0) + 1;
        const p = phase;
        if ((p === 'warm' || p === 'down' || p === 'restarting') && m.eventTimeMs !== undefined)
          latency[p].push(Date.now() - m.eventTimeMs);
      }
    })();

    const producer = await edge.createProducer({ topic: events.name, schema: events.schema, batchingMaxDelayMs: 5, sendTimeoutMs: 0 });
    let sent = 0;
    let seq = 0;
    let lastTs = 0;
    const expectedIds: string[] = [];
    const sends: Promise<unknown>[] = [];
    const tickMs = 20;
    // Paced by the clock, not by ticks: a late tick (a busy event loop) catches up, in bursts of
    // at most five ticks' worth; the rate reached is reported.
    const maxBurst = 5 * Math.max(1, Math.round((o.ratePerSec * tickMs) / 1000));
    const producingSince = Date.now();
    const timer = setInterval(() => {
      const due = Math.min(maxBurst, Math.floor(((Date.now() - producingSince) * o.ratePerSec) / 1000) - seq);
      for (let i = 0; i < due; i++) {
        const n = seq++;
        const trip = n % trips;
        const step = Math.floor(n / trips);
        const tripId = `${prefix}t${trip}`;
        // Strictly increasing timestamps: (trip, timestamp) identifies an event.
        const ts = Math.max(Date.now(), lastTs + 1);
        lastTs = ts;
        const harsh = trip % HARSH_EVERY === 0;
        const value = {
          tripId,
          riderId: `rider-${trip}`,
          driverId: `driver-${trip}`,
          lat: 40.7 + trip * 0.001 + step * 0.0001,
          lon: -74,
          speedMps: 12,
          headingDeg: 0,
          accelX: harsh ? -6 : 0.3,
          accelY: 0,
          accelZ: 9.8,
          timestamp: ts,
        };
        expectedIds.push(idOf(value));
        sends.push(producer.send({ payload: events.schema.encode(value), key: tripId, eventTimeMs: ts }).then(() => void sent++));
      }
    }, tickMs);

    await sleep(o.settleMs ?? 2000);
    phase = 'warm';
    await sleep(Math.max(0, o.warmMs - (o.settleMs ?? 2000)));
    let outageMs = 0;
    let producedForMs = 0;
    let restartedAt = Date.now();
    if (o.outageMs > 0) {
      phase = 'down';
      const cutAt = Date.now();
      const cut = o.cut ?? 'freeze';
      const pid = o.topo.clusters.central.info.pid;
      if (cut === 'freeze') {
        o.log(`cutting central (SIGSTOP to its JVM, pid ${pid}) after ${sent} events`);
        process.kill(pid, 'SIGSTOP');
        try {
          await sleep(o.outageMs);
          await o.duringOutage?.();
        } finally {
          process.kill(pid, 'SIGCONT');
        }
        o.log(`healing central (SIGCONT) after ${sent} events, ${Date.now() - cutAt} ms cut`);
        phase = 'restarting';
        await until(async () => await healthy(o.topo.clusters.central.info.adminUrl), 120_000);
      } else {
        o.log(`cutting central (stopping its broker) after ${sent} events`);
        await stopGeo(['central']);
        await sleep(o.outageMs);
        await o.duringOutage?.();
        o.log(`restarting central on its data after ${sent} events`);
        phase = 'restarting';
        // The edge keeps producing and deciding until central is back: its restart is part of the cut.
        await startGeo({ regions: ['central'], keepData: true, readyTimeoutMs: 600_000, log: o.log });
      }
      clearInterval(timer);
      producedForMs = Date.now() - producingSince;
      restartedAt = Date.now();
      outageMs = restartedAt - cutAt;
      o.log(`central back after ${outageMs} ms; ${sent} events produced`);
    } else {
      clearInterval(timer);
      producedForMs = Date.now() - producingSince;
    }
    phase = 'after';
    await Promise.all(sends);
    const expected = new Set(expectedIds);
    // Every event decided at the edge before we look for the decisions at central.
    const allDecided = await until(() => decidedIds.size >= expected.size, 120_000);
    o.log(`edge decided ${decidedIds.size} of ${expected.size} events (${allDecided ? 'all' : 'NOT all'})`);
    reading = false;
    await readLoop;
    await edgeDecisions.close().catch(() => undefined);
    const caughtUp = await until(
      () => seenEvents.counts.size >= expected.size && seenDecisions.counts.size >= expected.size,
      o.catchUpTimeoutMs ?? 240_000,
    );
    const catchUpMs = Date.now() - restartedAt;
    // A little longer: a duplicate would arrive after the last new id.
    await sleep(3000);
    for (const w of watchers) w.stop();
    await Promise.all(watchers.map((w) => w.done));
    const lags = [...seenEvents.lags].sort((a, b) => a - b);
    return {
      sent,
      producedPerSec: Math.round((seq * 1000) / Math.max(1, producedForMs)),
      decided: decidedIds.size,
      events: idCount(seenEvents, expectedIds),
      decisions: idCount(seenDecisions, expectedIds),
      reviewCasesAtCentral: [...seenReview.counts.values()].reduce((a, b) => a + b, 0),
      modelVersions,
      lagP50Ms: quantile(lags, 0.5),
      lagP99Ms: quantile(lags, 0.99),
      decisionBefore: summarize(latency.warm),
      decisionDown: summarize(latency.down),
      decisionRestarting: summarize(latency.restarting),
      outageMs,
      catchUpMs,
      caughtUp,
    };
  } finally {
    await edge.close().catch(() => undefined);
    await central.close().catch(() => undefined);
  }
}

async function watch(
  client: PulsarClient,
  topic: string,
  schema: ReturnType<typeof avroSchema>,
  seen: Seen,
  ours: (tripId: string) => boolean,
  idOf: (v: Record<string, unknown>) => string,
  measuring: () => boolean,
): Promise<{ stop: () => void; done: Promise<void> }> {
  const consumer = await client.subscribe({ topic, subscription: 'central-review', initialPosition: 'Earliest' });
  let running = true;
  const done = (async () => {
    while (running) {
      let m: Message;
      try {
        m = await consumer.receive(500);
      } catch {
        continue;
      }
      consumer.ack(m);
      const v = schema.decode(m.payload) as Record<string, unknown>;
      if (!ours(String(v['tripId']))) continue;
      const id = idOf(v);
      seen.counts.set(id, (seen.counts.get(id) ?? 0) + 1);
      if (measuring()) seen.lags.push(Date.now() - m.publishTimeMs);
    }
  })();
  return { stop: () => void (running = false), done };
}

function idCount(seen: Seen, expectedIds: readonly string[]): IdCount {
  let lost = 0;
  let duplicated = 0;
  for (const id of expectedIds) {
    const n = seen.counts.get(id) ?? 0;
    if (n === 0) lost++;
    else duplicated += n - 1;
  }
  return { expected: expectedIds.length, received: [...seen.counts.values()].reduce((a, b) => a + b, 0), lost, duplicated };
}

function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function healthy(adminUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${adminUrl}/admin/v2/brokers/health`, { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

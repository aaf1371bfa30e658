/**
 * The edge-outage drill (#19), shared by test/integration/geo.test.ts and `npm run bench -- geo`:
 * an edge produces ride events at a fixed rate and decides on each one locally (a consumer on the
 * edge's events writing a prediction per event to the edge's predictions), while central watches
 * both replicated topics. Then central's broker is stopped for `outageMs` and started again on its
 * data; the edge keeps producing and deciding throughout. The result counts what central received
 * (by id: lost and duplicated), the replication lag before the cut, and the catch-up time.
 */
import { avroSchema, createClient, type Message, type PulsarClient } from '../../functions/pulsar/index.ts';
import { startGeo, stopGeo } from '../broker/geo.ts';
import type { TenantConfig } from '../../tenants/spec/index.ts';
import type { GeoTopology } from './geo-topology.ts';

export interface DrillOptions {
  readonly topo: GeoTopology;
  readonly config: TenantConfig;
  /** Events per second the edge produces. */
  readonly ratePerSec: number;
  /** Traffic before the cut (steady-state lag is measured here). */
  readonly warmMs: number;
  /** How long central stays stopped before its restart begins (the restart time comes on top; the edge produces throughout). 0 = no outage. */
  readonly outageMs: number;
  /** Run while central is down (e.g. check that geo status reports the link down). */
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

export interface DrillResult {
  readonly sent: number;
  readonly decided: number;
  readonly events: IdCount;
  readonly decisions: IdCount;
  /** Edge publish time -> central receive, for messages received while the link was up, before the cut. */
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  /** Edge decision latency (event time -> prediction acked on the edge) before and during the cut. */
  readonly decisionP99BeforeMs: number;
  readonly decisionP99DuringMs: number;
  /** Central stopped -> central ready again. */
  readonly outageMs: number;
  /** Central ready again -> every event and decision present at central. */
  readonly catchUpMs: number;
  readonly caughtUp: boolean;
}

interface Seen {
  counts: Map<string, number>;
  lags: number[];
}

export async function runEdgeDrill(o: DrillOptions): Promise<DrillResult> {
  const nyc = o.config.namespaces.find((n) => n.region === 'edge-nyc');
  if (nyc === undefined) throw new Error('the spec has no edge-nyc region');
  const topic = (kind: string): { name: string; schema: string } => {
    const t = nyc.topics.find((x) => x.kind === kind);
    if (t?.schema == null) throw new Error(`topic ${kind} has no schema in the spec`);
    return { name: t.name, schema: t.schema.data };
  };
  const events = topic('events');
  const predictions = topic('predictions');
  const eventSchema = avroSchema(events.schema);
  const predictionSchema = avroSchema(predictions.schema);
  const edge = createClient({ serviceUrl: o.topo.clusters['edge-nyc'].info.serviceUrl, operationTimeoutMs: 15_000 });
  const central = createClient({ serviceUrl: o.topo.clusters.central.info.serviceUrl, operationTimeoutMs: 15_000, initialBackoffMs: 200, maxBackoffMs: 2000 });
  let phase: 'warm' | 'cut' | 'after' = 'warm';
  // Ids unique to this drill: other traffic on the same topics is not counted.
  const prefix = `d${Date.now().toString(36)}-`;
  const ours = (id: string): boolean => id.startsWith(prefix);
  try {
    const seenEvents: Seen = { counts: new Map(), lags: [] };
    const seenDecisions: Seen = { counts: new Map(), lags: [] };
    const watchers = [
      await watch(central, events.name, eventSchema, seenEvents, ours, () => phase === 'warm'),
      await watch(central, predictions.name, predictionSchema, seenDecisions, ours, () => phase === 'warm'),
    ];

    // The edge's decider: one prediction per event, keyed by the event's id.
    const decider = await edge.subscribe({ topic: events.name, subscription: 'edge-decider', initialPosition: 'Earliest', schema: eventSchema });
    const out = await edge.createProducer({ topic: predictions.name, schema: predictionSchema, batchingMaxDelayMs: 5 });
    const decisionBefore: number[] = [];
    const decisionDuring: number[] = [];
    const decidedIds = new Set<string>();
    let deciding = true;
    const decideLoop = (async () => {
      while (deciding) {
        let m: Message;
        try {
          m = await decider.receive(500);
        } catch {
          continue;
        }
        const id = m.key ?? '';
        const started = m.eventTimeMs ?? Date.now();
        const payload = predictionSchema.encode({ tripId: id, crashProbability: 0.01, routeDeviationMeters: 0, harshEvents: 0, modelVersion: 'drill', timestamp: Date.now() });
        void out.send({ payload, key: id, eventTimeMs: started }).then(() => {
          if (!ours(id)) return;
          decidedIds.add(id);
          (phase === 'cut' ? decisionDuring : decisionBefore).push(Date.now() - started);
        });
        decider.ack(m);
      }
    })();

    const producer = await edge.createProducer({ topic: events.name, schema: eventSchema, batchingMaxDelayMs: 5, sendTimeoutMs: 0 });
    let sent = 0;
    let seq = 0;
    const sends: Promise<unknown>[] = [];
    const tickMs = 20;
    const perTick = Math.max(1, Math.round((o.ratePerSec * tickMs) / 1000));
    const timer = setInterval(() => {
      for (let i = 0; i < perTick; i++) {
        const id = `${prefix}${seq++}`;
        const now = Date.now();
        const payload = eventSchema.encode({ tripId: id, riderId: 'r', driverId: 'd', lat: 40.7, lon: -74, speedMps: 12, headingDeg: null, accelX: 0, accelY: 0, accelZ: 9.8, timestamp: now });
        sends.push(producer.send({ payload, key: id, eventTimeMs: now }).then(() => void sent++));
      }
    }, tickMs);

    await sleep(o.warmMs);
    let outageMs = 0;
    let restartedAt = Date.now();
    if (o.outageMs > 0) {
      phase = 'cut';
      const cutAt = Date.now();
      o.log(`cutting central (stopping its broker) after ${sent} events`);
      await stopGeo(['central']);
      await sleep(o.outageMs);
      await o.duringOutage?.();
      o.log(`restarting central on its data after ${sent} events`);
      // The edge keeps producing and deciding until central is back: its restart is part of the cut.
      await startGeo({ regions: ['central'], keepData: true, log: o.log });
      clearInterval(timer);
      restartedAt = Date.now();
      outageMs = restartedAt - cutAt;
      o.log(`central back after ${outageMs} ms; ${sent} events produced`);
    } else clearInterval(timer);
    phase = 'after';
    await Promise.all(sends);
    const expected = seq;
    // Every event decided at the edge before we look for the decisions at central.
    await until(() => decidedIds.size >= expected, 120_000);
    deciding = false;
    await decideLoop;
    const caughtUp = await until(() => seenEvents.counts.size >= expected && seenDecisions.counts.size >= expected, o.catchUpTimeoutMs ?? 240_000);
    const catchUpMs = Date.now() - restartedAt;
    // A little longer: a duplicate would arrive after the last new id.
    await sleep(3000);
    for (const w of watchers) w.stop();
    await Promise.all(watchers.map((w) => w.done));
    const lags = [...seenEvents.lags].sort((a, b) => a - b);
    return {
      sent,
      decided: decidedIds.size,
      events: idCount(seenEvents, expected, prefix),
      decisions: idCount(seenDecisions, expected, prefix),
      lagP50Ms: quantile(lags, 0.5),
      lagP99Ms: quantile(lags, 0.99),
      decisionP99BeforeMs: quantile([...decisionBefore].sort((a, b) => a - b), 0.99),
      decisionP99DuringMs: quantile([...decisionDuring].sort((a, b) => a - b), 0.99),
      outageMs,
      catchUpMs,
      caughtUp,
    };
  } finally {
    await edge.close().catch(() => undefined);
    await central.close().catch(() => undefined);
  }
}

async function watch(client: PulsarClient, topic: string, schema: ReturnType<typeof avroSchema>, seen: Seen, ours: (id: string) => boolean, measuring: () => boolean): Promise<{ stop: () => void; done: Promise<void> }> {
  const consumer = await client.subscribe({ topic, subscription: 'central-review', initialPosition: 'Earliest', schema });
  let running = true;
  const done = (async () => {
    while (running) {
      let m: Message;
      try {
        m = await consumer.receive(500);
      } catch {
        continue;
      }
      const id = m.key ?? '';
      consumer.ack(m);
      if (!ours(id)) continue;
      seen.counts.set(id, (seen.counts.get(id) ?? 0) + 1);
      if (measuring()) seen.lags.push(Date.now() - m.publishTimeMs);
    }
  })();
  return { stop: () => void (running = false), done };
}

function idCount(seen: Seen, expected: number, prefix: string): IdCount {
  let lost = 0;
  let duplicated = 0;
  for (let i = 0; i < expected; i++) {
    const n = seen.counts.get(`${prefix}${i}`) ?? 0;
    if (n === 0) lost++;
    else duplicated += n - 1;
  }
  return { expected, received: [...seen.counts.values()].reduce((a, b) => a + b, 0), lost, duplicated };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

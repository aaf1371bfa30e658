/**
 * Geo-replication across real clusters (#19): three standalone brokers (central, edge-nyc,
 * edge-sfo), each its own cluster with its own metadata store and bookie, started by this file
 * (offsets 400/410/420) and stopped at the end. Tenant apply across regions, replication both
 * ways, what stays regional, the schema pre-flight, the ride-safety case end to end (the
 * ride-safety worker deciding at both edges with central's model: push, promote and canary on
 * central reach the edges' workers; decisions and review cases reach central), `beamline geo
 * status` with central down, and an edge outage drill: the edge keeps deciding while central
 * is down, and after healing central holds every event and decision exactly once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryBucket, type RunningWorker } from '../../functions/control-plane.ts';
import { avroSchema, createClient, type Producer, type PulsarClient } from '../../functions/pulsar/index.ts';
import { RIDE_RISK_PRESETS, rideRiskOnnx } from '../../demo/ride-risk-model.ts';
import { runEdgeDrill } from '../../scripts/bench/geo-drill.ts';
import { geoSpec, startTopology, stopTopology, type GeoTopology } from '../../scripts/bench/geo-topology.ts';
import { startEdgeWorker } from '../../scripts/bench/geo-workers.ts';
import { RIDE_RISK_FEATURES } from '../../tenants/examples/ride-safety.handler.ts';
import { main } from '../../cli/main.ts';
import type { CliIo } from '../../cli/io.ts';
import {
  applyAcrossRegions,
  configForCluster,
  diffTenant,
  observeTenant,
  planAcrossRegions,
  applyTenantPlan,
} from '../../tenants/plan/index.ts';
import { uniqueName } from '../support/pulsar-env.ts';

const log = (line: string): void => void process.stderr.write(`[geo] ${line}\n`);
let topo: GeoTopology;
const clients: PulsarClient[] = [];
const workers = new Map<'edge-nyc' | 'edge-sfo', RunningWorker>();

beforeAll(async () => {
  topo = await startTopology(log);
}, 600_000);

afterAll(async () => {
  for (const w of workers.values()) await w.stop().catch(() => undefined);
  for (const c of clients) await c.close().catch(() => undefined);
  await stopTopology();
}, 120_000);

function client(region: 'central' | 'edge-nyc' | 'edge-sfo'): PulsarClient {
  const c = createClient({ serviceUrl: topo.clusters[region].info.serviceUrl, operationTimeoutMs: 15_000 });
  clients.push(c);
  return c;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { env: {}, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const tenant = uniqueName('rides');
const config = () => geoSpec(tenant);

/** The ride-safety worker of an edge (tenants/examples/ride-safety.worker.yaml), started once. */
async function edgeWorker(region: 'edge-nyc' | 'edge-sfo'): Promise<RunningWorker> {
  let w = workers.get(region);
  if (w === undefined) {
    w = await startEdgeWorker(topo, tenant, region);
    workers.set(region, w);
  }
  return w;
}

describe('geo-replication across three real clusters', () => {
  it('applies one spec to every region: namespaces where they belong, replication per topic, the same schemas everywhere', async () => {
    const results = await applyAcrossRegions(config(), topo.admins);
    expect(results.map((r) => r.cluster)).toEqual(['geo-central', 'geo-edge-nyc', 'geo-edge-sfo']);
    // Central holds every namespace; an edge holds its own and central's (models come from there).
    expect((await topo.admin('central').namespaces.list(tenant)).sort()).toEqual([
      `${tenant}/central`,
      `${tenant}/edge-nyc`,
      `${tenant}/edge-sfo`,
    ]);
    expect((await topo.admin('edge-nyc').namespaces.list(tenant)).sort()).toEqual([`${tenant}/central`, `${tenant}/edge-nyc`]);
    expect((await topo.admin('edge-sfo').namespaces.list(tenant)).sort()).toEqual([`${tenant}/central`, `${tenant}/edge-sfo`]);
    for (const region of ['central', 'edge-nyc'] as const) {
      const a = topo.admin(region);
      expect((await a.topics.getReplicationClusters(`persistent://${tenant}/edge-nyc/events`))?.sort()).toEqual([
        'geo-central',
        'geo-edge-nyc',
      ]);
      expect((await a.topics.getReplicationClusters(`persistent://${tenant}/central/models`))?.sort()).toEqual([
        'geo-central',
        'geo-edge-nyc',
        'geo-edge-sfo',
      ]);
    }
    // Regional topics carry a policy that keeps them at home. (Pulsar itself creates an empty copy
    // of every new partitioned topic on the namespace's other clusters; nothing replicates into it.)
    expect(await topo.admin('edge-nyc').topics.getReplicationClusters(`persistent://${tenant}/edge-nyc/state`)).toEqual(['geo-edge-nyc']);
    expect(await topo.admin('central').topics.getReplicationClusters(`persistent://${tenant}/central/review`)).toEqual(['geo-central']);
    const schemaOn = async (region: 'central' | 'edge-nyc', topic: string) =>
      JSON.parse((await topo.admin(region).schemas.get(topic))?.data ?? 'null') as unknown;
    for (const kind of ['events', 'predictions', 'review', 'audit']) {
      const t = `persistent://${tenant}/edge-nyc/${kind}`;
      expect(await schemaOn('edge-nyc', t)).toEqual(await schemaOn('central', t));
    }
    // Idempotent: nothing left to do anywhere.
    const again = await planAcrossRegions(config(), topo.admins);
    expect(again.map((p) => [p.cluster, p.plan.changes.map((c) => `${c.op} ${c.target}`)])).toEqual([
      ['geo-central', []],
      ['geo-edge-nyc', []],
      ['geo-edge-sfo', []],
    ]);
  });

  it('replicates edge events to central, central models to both edges (also after compaction), and keeps state regional', async () => {
    const cfg = config();
    const events = cfg.namespaces.find((n) => n.region === 'edge-nyc')?.topics.find((t) => t.kind === 'events');
    const schema = avroSchema(events?.schema?.data ?? '{}');
    const nycClient = client('edge-nyc');
    const centralClient = client('central');
    const sfoClient = client('edge-sfo');
    const eventsTopic = `persistent://${tenant}/edge-nyc/events`;
    const stateTopic = `persistent://${tenant}/edge-nyc/state`;
    const modelsTopic = `persistent://${tenant}/central/models`;

    const atCentral = await centralClient.subscribe({ topic: eventsTopic, subscription: 'review', initialPosition: 'Earliest', schema });
    const stateAtCentral = await centralClient.subscribe({ topic: stateTopic, subscription: 'peek', initialPosition: 'Earliest' });
    const modelsAtNyc = await nycClient.subscribe({ topic: modelsTopic, subscription: 'worker', initialPosition: 'Earliest' });
    const modelsAtSfo = await sfoClient.subscribe({ topic: modelsTopic, subscription: 'worker', initialPosition: 'Earliest' });

    const state = await nycClient.createProducer({ topic: stateTopic });
    await state.send({ payload: 'regional', key: 'trip-1' });
    const producer = await nycClient.createProducer({ topic: eventsTopic, schema });
    const ids = Array.from({ length: 20 }, (_, i) => `trip-${i}`);
    for (const id of ids) {
      await producer.send({
        key: id,
        payload: schema.encode({
          tripId: id,
          riderId: 'r',
          driverId: 'd',
          lat: 1,
          lon: 2,
          speedMps: 3,
          headingDeg: null,
          accelX: 0,
          accelY: 0,
          accelZ: 9.8,
          timestamp: Date.now(),
        }),
      });
    }
    const got: string[] = [];
    while (got.length < ids.length) got.push((await atCentral.receive(60_000)).key ?? '');
    expect(got.sort()).toEqual([...ids].sort());

    const models = await centralClient.createProducer({ topic: modelsTopic });
    await models.send({ key: 'ride-risk', payload: 'model v2' });
    expect((await modelsAtNyc.receive(60_000)).payload.toString()).toBe('model v2');
    expect((await modelsAtSfo.receive(60_000)).payload.toString()).toBe('model v2');

    // apache/pulsar discussion #27030: a compacted topic whose __compaction cursor is replicated
    // has stalled replication. Compact central's models, then push again: both edges still get it.
    const part = `${modelsTopic}-partition-0`;
    await topo.admin('central').topics.triggerCompaction(part);
    const deadline = Date.now() + 60_000;
    let status = (await topo.admin('central').topics.getCompactionStatus(part)).status;
    while (status !== 'SUCCESS' && Date.now() < deadline) {
      expect(status).not.toBe('ERROR');
      await new Promise((r) => setTimeout(r, 250));
      status = (await topo.admin('central').topics.getCompactionStatus(part)).status;
    }
    expect(status).toBe('SUCCESS');
    await models.send({ key: 'ride-risk', payload: 'model v3' });
    expect((await modelsAtNyc.receive(60_000)).payload.toString()).toBe('model v3');
    expect((await modelsAtSfo.receive(60_000)).payload.toString()).toBe('model v3');

    // The state record was produced before the events that have since arrived: it stays home.
    await expect(stateAtCentral.receive(3000)).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT' });
  });

  it('schema pre-flight refuses a replicated topic whose schema differs in one region, naming topic, both versions and the fix', async () => {
    const other = uniqueName('rides-drift');
    // edge-sfo got a diverging predictions schema (crashProbability as a string) before the geo apply.
    const drifted = geoSpec(other, (doc) => {
      const topics = doc['topics'] as Record<string, { schema: { fields: { name: string; type: unknown }[] } }>;
      const f = topics['predictions']?.schema.fields.find((x) => x.name === 'crashProbability');
      if (f) f.type = 'string';
    });
    const sfo = configForCluster(drifted, 'geo-edge-sfo');
    // Only the structure: a topic-level replication policy would be pushed to central at once.
    const plan = diffTenant(sfo, await observeTenant(topo.admin('edge-sfo'), other, sfo));
    await applyTenantPlan(topo.admin('edge-sfo'), { ...plan, changes: plan.changes.filter((c) => c.op !== 'set-topic-replication') });

    const err = await applyAcrossRegions(geoSpec(other), topo.admins).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'BL_GEO_SCHEMA_MISMATCH' });
    const message = (err as Error).message;
    expect(message).toContain(`persistent://${other}/edge-sfo/predictions`);
    expect(message).toMatch(/geo-edge-sfo holds v0 AVRO SafetyScore/);
    expect(message).toMatch(/spec declares AVRO SafetyScore/);
    expect(message).toContain('fix:');
    // Nothing was applied anywhere else.
    expect(
      await topo
        .admin('central')
        .tenants.get(other)
        .catch(() => null),
    ).toBeNull();
  });

  it("ride safety end to end: a model pushed, promoted and canaried on central reaches both edges' workers (new version within 10 s); edge decisions and review cases reach central", async () => {
    const cfg = config();
    const ns = (region: string) => {
      const n = cfg.namespaces.find((x) => x.region === region);
      if (n === undefined) throw new Error(`no namespace for ${region}`);
      return n;
    };
    const schemaOf = (region: string, kind: string) => avroSchema(ns(region).topics.find((t) => t.kind === kind)?.schema?.data ?? '{}');
    const eventSchema = schemaOf('edge-nyc', 'events');
    const decisionSchema = schemaOf('edge-nyc', 'predictions');
    const reviewSchema = schemaOf('edge-nyc', 'review');
    const edges = ['edge-nyc', 'edge-sfo'] as const;

    // The data scientist's side, once, centrally: feature schema and v1 (live on push).
    const dir = mkdtempSync(join(tmpdir(), 'ride-risk-'));
    for (const v of ['1', '2', '3'] as const) writeFileSync(join(dir, `ride-risk-${v}.onnx`), rideRiskOnnx(RIDE_RISK_PRESETS[v]));
    const onCentral = ['-t', tenant, '-n', 'central', '--service-url', topo.clusters.central.info.serviceUrl, '--name', 'ride-risk'];
    const schemaSet = await cli('model', 'schema', ...onCentral.slice(0, 6), '--features', RIDE_RISK_FEATURES.join(','));
    expect(schemaSet, schemaSet.err).toMatchObject({ code: 0 });
    const push1 = await cli('model', 'push', join(dir, 'ride-risk-1.onnx'), ...onCentral);
    expect(push1, push1.err).toMatchObject({ code: 0 });

    // Each edge's worker reads the registry from its replicated copy of central's models.
    for (const e of edges) await edgeWorker(e);

    // Decisions as each edge sees them (its own predictions), and as central sees them (replicated).
    const decisions = new Map<string, Map<string, { modelVersion: string; crashProbability: number }>>();
    const readers: (() => Promise<void>)[] = [];
    const follow = async (
      region: 'central' | 'edge-nyc' | 'edge-sfo',
      topic: string,
      schema: ReturnType<typeof avroSchema>,
      into: string,
    ): Promise<void> => {
      const c = await client(region).subscribe({ topic, subscription: `fanout-${into}`, initialPosition: 'Earliest' });
      const seen = new Map<string, { modelVersion: string; crashProbability: number }>();
      decisions.set(into, seen);
      let open = true;
      const loop = (async () => {
        while (open) {
          const m = await c.receive(200).catch(() => undefined);
          if (m === undefined) continue;
          c.ack(m);
          const v = schema.decode(m.payload) as { tripId: string; modelVersion?: string; crashProbability: number };
          seen.set(v.tripId, { modelVersion: v.modelVersion ?? '', crashProbability: v.crashProbability });
        }
      })();
      readers.push(async () => {
        open = false;
        await loop;
        await c.close();
      });
    };
    for (const e of edges) {
      await follow(e, `persistent://${tenant}/${e}/predictions`, decisionSchema, e);
      await follow('central', `persistent://${tenant}/${e}/predictions`, decisionSchema, `central<-${e}`);
      await follow('central', `persistent://${tenant}/${e}/review`, reviewSchema, `central-review<-${e}`);
    }
    const producers = new Map<string, Producer>();
    for (const e of edges)
      producers.set(
        e,
        await client(e).createProducer({ topic: `persistent://${tenant}/${e}/events`, schema: eventSchema, batchingMaxDelayMs: 1 }),
      );
    let ts = Date.now();
    const sendPoint = async (region: 'edge-nyc' | 'edge-sfo', tripId: string, harsh = false, step = 0): Promise<void> => {
      ts = Math.max(Date.now(), ts + 1);
      const value = {
        tripId,
        riderId: 'rider-1',
        driverId: 'driver-1',
        lat: 40.7 + step * 0.0005,
        lon: -74,
        speedMps: 14,
        headingDeg: 0,
        accelX: harsh ? -7 : 0.2,
        accelY: 0,
        accelZ: 9.8,
        timestamp: ts,
      };
      await producers.get(region)?.send({ key: tripId, payload: eventSchema.encode(value), eventTimeMs: ts });
    };
    const decisionAt = (into: string, tripId: string) => decisions.get(into)?.get(tripId);
    const waitFor = async (what: string, cond: () => boolean, timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    /** Sends fresh trips to the edge until one is decided by `version`; the time it took. */
    const probe = async (region: 'edge-nyc' | 'edge-sfo', version: string, label: string, timeoutMs: number): Promise<number> => {
      const t0 = Date.now();
      for (let n = 0; Date.now() - t0 < timeoutMs; n++) {
        const trip = `${label}-${region}-${n}`;
        await sendPoint(region, trip);
        await waitFor(`a decision for ${trip}`, () => decisionAt(region, trip) !== undefined, 30_000);
        if (decisionAt(region, trip)?.modelVersion === version) return Date.now() - t0;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${region} decided no probe with ${version} within ${timeoutMs} ms`);
    };

    try {
      // v1 at both edges (the first start also waits for the registry's replication and replay).
      for (const e of edges) await probe(e, 'ride-risk@1', 'v1', 60_000);

      // v2 pushed and promoted on central: both edges' workers serve it within 10 s.
      const push2 = await cli('model', 'push', join(dir, 'ride-risk-2.onnx'), ...onCentral, '--no-promote');
      expect(push2, push2.err).toMatchObject({ code: 0 });
      const promoteStarted = Date.now();
      const promote = await cli('model', 'promote', ...onCentral, '--version', '2');
      expect(promote, promote.err).toMatchObject({ code: 0 });
      // The rollout is on central's models topic once the command returns; from there we count.
      const promotedAt = Date.now();
      const promoteMs = promotedAt - promoteStarted;
      const served = await Promise.all(edges.map((e) => probe(e, 'ride-risk@2', 'v2', 30_000).then(() => Date.now() - promotedAt)));
      log(
        `promote on central -> v2 decisions at edge-nyc / edge-sfo after ${served.join(' / ')} ms (the promote command itself took ${promoteMs} ms)`,
      );
      for (const ms of served) expect(ms).toBeLessThan(10_000);

      // A canary set on central is honoured at the edges, key by key.
      const push3 = await cli('model', 'push', join(dir, 'ride-risk-3.onnx'), ...onCentral, '--no-promote');
      expect(push3, push3.err).toMatchObject({ code: 0 });
      const canary = await cli('model', 'canary', ...onCentral, '--version', '3', '--percent', '30');
      expect(canary, canary.err).toMatchObject({ code: 0 });
      const inCanary = (k: string): boolean => canaryBucket(k) < 30;
      for (const e of edges) {
        const probeCanary = async (): Promise<void> => {
          for (let n = 0; ; n++) {
            const trip = `c-probe-${e}-${n}`;
            if (!inCanary(trip)) continue;
            await sendPoint(e, trip);
            await waitFor(`a decision for ${trip}`, () => decisionAt(e, trip) !== undefined, 30_000);
            if (decisionAt(e, trip)?.modelVersion === 'ride-risk@3') return;
          }
        };
        await Promise.race([
          probeCanary(),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`${e}: no canary decision within 30 s`)), 30_000)),
        ]);
      }
      const trips = edges.flatMap((e) => Array.from({ length: 40 }, (_, i) => ({ e, trip: `canary-${e}-${i}` })));
      for (const { e, trip } of trips) await sendPoint(e, trip);
      await waitFor(
        'every canary-phase decision at its edge',
        () => trips.every(({ e, trip }) => decisionAt(e, trip) !== undefined),
        60_000,
      );
      for (const { e, trip } of trips)
        expect([trip, decisionAt(e, trip)?.modelVersion]).toEqual([trip, inCanary(trip) ? 'ride-risk@3' : 'ride-risk@2']);
      expect(trips.filter(({ trip }) => inCanary(trip)).length).toBeGreaterThan(5);
      expect(trips.filter(({ trip }) => !inCanary(trip)).length).toBeGreaterThan(5);

      // Central receives every edge decision as the edge made it.
      await waitFor(
        'the edge decisions at central',
        () => trips.every(({ e, trip }) => decisionAt(`central<-${e}`, trip) !== undefined),
        60_000,
      );
      for (const { e, trip } of trips) expect(decisionAt(`central<-${e}`, trip)).toEqual(decisionAt(e, trip));

      // A trip braking hard at every point: scored unsafe at the edge, its review case reaches central.
      for (let i = 0; i < 6; i++) await sendPoint('edge-sfo', 'harsh-trip', true, i);
      await waitFor(
        "the harsh trip's review case at central",
        () => decisionAt('central-review<-edge-sfo', 'harsh-trip') !== undefined,
        60_000,
      );
      expect(decisionAt('central-review<-edge-sfo', 'harsh-trip')?.crashProbability).toBeGreaterThanOrEqual(0.5);
      expect(decisionAt('central-review<-edge-nyc', 'harsh-trip')).toBeUndefined();
      // The calm trips opened no review case.
      expect(trips.some(({ e, trip }) => decisionAt(`central-review<-${e}`, trip) !== undefined)).toBe(false);
    } finally {
      for (const p of producers.values()) await p.close().catch(() => undefined);
      for (const r of readers) await r();
    }
  }, 300_000);

  it('edge outage: with the link to central cut (central frozen), the ride-safety worker keeps deciding at the edge (never waiting on the link), geo status reports the link down, and after healing central holds every event and decision exactly once', async () => {
    const cfg = config();
    await edgeWorker('edge-nyc');
    const downLine = new RegExp(`DOWN +persistent://${tenant}/edge-nyc/events geo-edge-nyc -> geo-central`);
    let firstStatus: { code: number; out: string } | undefined;
    let down: { code: number; out: string; afterMs: number } | undefined;
    const cutStarted = Date.now();
    const result = await runEdgeDrill({
      topo,
      config: cfg,
      ratePerSec: 500,
      warmMs: 15_000,
      settleMs: 5_000,
      // central's JVM is SIGSTOPped: a partition that black-holes packets (see geo-drill.ts).
      cut: 'freeze',
      outageMs: Number(process.env['BEAMLINE_GEO_OUTAGE_MS'] ?? 30_000),
      log,
      // The cut lasts until geo status, reading the edge's real replication stats, calls the link
      // down: a black-holed link shows only once the replicator's keep-alive gives up.
      duringOutage: async () => {
        const deadline = Date.now() + 120_000;
        while (down === undefined && Date.now() < deadline) {
          const r = await cli('geo', 'status', '-t', tenant, '--admin-url', topo.clusters['edge-nyc'].info.adminUrl);
          firstStatus ??= r;
          if (r.code === 1 && downLine.test(r.out)) down = { ...r, afterMs: Date.now() - cutStarted };
          else await new Promise((res) => setTimeout(res, 2000));
        }
      },
    });
    log(
      `drill: ${JSON.stringify(result)}; geo status said DOWN ${down === undefined ? 'never' : `${down.afterMs} ms after the drill began (15 s warm)`}`,
    );
    // geo status read the real stats while central was cut off: link down, non-zero exit.
    expect(firstStatus?.code).toBe(1);
    expect(down?.out).toMatch(downLine);
    expect(result.decided).toBe(result.events.expected);
    expect(result.caughtUp).toBe(true);
    expect(result.events).toMatchObject({ lost: 0, duplicated: 0 });
    expect(result.decisions).toMatchObject({ lost: 0, duplicated: 0 });
    expect(result.events.expected).toBeGreaterThan(5000);
    expect(result.outageMs).toBeGreaterThan(30_000);
    // The real worker decided with central's model (replicated before the cut), and the planted
    // harsh-braking trips' review cases reached central.
    expect(Object.keys(result.modelVersions).every((v) => v.startsWith('ride-risk@'))).toBe(true);
    expect(result.reviewCasesAtCentral).toBeGreaterThan(0);
    // The edge kept deciding while the link was cut: an edge that waited on central would hold its
    // decisions for the whole outage (over 30 s). The speed goal itself (p99 down within 20% of p99
    // before) is a benchmark, `npm run bench -- geo`, not a timed assertion: on a shared 2-core CI
    // machine one slow second moves a p99 by more than 20% (a CI run measured 749 ms vs 438 ms).
    expect(result.decisionBefore.count).toBeGreaterThan(1000);
    expect(result.decisionDown.count).toBeGreaterThan(1000);
    expect(result.decisionDown.p99Ms).toBeLessThan(Math.min(10_000, result.outageMs / 3));
    // Healed: every link up and within the lag budget.
    const after = await cli('geo', 'status', '-t', tenant, '--admin-url', topo.clusters['edge-nyc'].info.adminUrl, '--max-lag-ms', '30000');
    expect(after.out).toMatch(new RegExp(`ok +persistent://${tenant}/edge-nyc/events geo-edge-nyc -> geo-central`));
    expect(after.code).toBe(0);
  }, 480_000);
});

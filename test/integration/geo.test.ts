/**
 * Geo-replication across real clusters (#19): three standalone brokers (central, edge-nyc,
 * edge-sfo), each its own cluster with its own metadata store and bookie, started by this file
 * (offsets 400/410/420) and stopped at the end. Tenant apply across regions, replication both
 * ways, what stays regional, the schema pre-flight, `beamline geo status` with central down, and
 * an edge outage drill: central holds every event and decision exactly once after healing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avroSchema, createClient, type PulsarClient } from '../../functions/pulsar/index.ts';
import { runEdgeDrill } from '../../scripts/bench/geo-drill.ts';
import { geoSpec, startTopology, stopTopology, type GeoTopology } from '../../scripts/bench/geo-topology.ts';
import { main } from '../../tenants/cli/main.ts';
import type { CliIo } from '../../tenants/cli/io.ts';
import { applyAcrossRegions, configForCluster, diffTenant, observeTenant, planAcrossRegions, applyTenantPlan } from '../../tenants/plan/index.ts';
import { uniqueName } from '../support/pulsar-env.ts';

const log = (line: string): void => void process.stderr.write(`[geo] ${line}\n`);
let topo: GeoTopology;
const clients: PulsarClient[] = [];

beforeAll(async () => {
  topo = await startTopology(log);
}, 600_000);

afterAll(async () => {
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

describe('geo-replication across three real clusters', () => {
  it('applies one spec to every region: namespaces where they belong, replication per topic, the same schemas everywhere', async () => {
    const results = await applyAcrossRegions(config(), topo.admins);
    expect(results.map((r) => r.cluster)).toEqual(['geo-central', 'geo-edge-nyc', 'geo-edge-sfo']);
    // Central holds every namespace; an edge holds its own and central's (models come from there).
    expect((await topo.admin('central').namespaces.list(tenant)).sort()).toEqual([`${tenant}/central`, `${tenant}/edge-nyc`, `${tenant}/edge-sfo`]);
    expect((await topo.admin('edge-nyc').namespaces.list(tenant)).sort()).toEqual([`${tenant}/central`, `${tenant}/edge-nyc`]);
    expect((await topo.admin('edge-sfo').namespaces.list(tenant)).sort()).toEqual([`${tenant}/central`, `${tenant}/edge-sfo`]);
    for (const region of ['central', 'edge-nyc'] as const) {
      const a = topo.admin(region);
      expect((await a.topics.getReplicationClusters(`persistent://${tenant}/edge-nyc/events`))?.sort()).toEqual(['geo-central', 'geo-edge-nyc']);
      expect((await a.topics.getReplicationClusters(`persistent://${tenant}/central/models`))?.sort()).toEqual(['geo-central', 'geo-edge-nyc', 'geo-edge-sfo']);
    }
    // Regional topics carry a policy that keeps them at home. (Pulsar itself creates an empty copy
    // of every new partitioned topic on the namespace's other clusters; nothing replicates into it.)
    expect(await topo.admin('edge-nyc').topics.getReplicationClusters(`persistent://${tenant}/edge-nyc/state`)).toEqual(['geo-edge-nyc']);
    expect(await topo.admin('central').topics.getReplicationClusters(`persistent://${tenant}/central/review`)).toEqual(['geo-central']);
    const schemaOn = async (region: 'central' | 'edge-nyc', topic: string) => JSON.parse((await topo.admin(region).schemas.get(topic))?.data ?? 'null') as unknown;
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
      await producer.send({ key: id, payload: schema.encode({ tripId: id, riderId: 'r', driverId: 'd', lat: 1, lon: 2, speedMps: 3, headingDeg: null, accelX: 0, accelY: 0, accelZ: 9.8, timestamp: Date.now() }) });
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
    expect(await topo.admin('central').tenants.get(other).catch(() => null)).toBeNull();
  });

  it('edge outage: the edge keeps deciding, geo status reports the link down, and after healing central holds every event and decision exactly once', async () => {
    const cfg = config();
    const statusDuring: { code: number; out: string }[] = [];
    const result = await runEdgeDrill({
      topo,
      config: cfg,
      ratePerSec: 500,
      warmMs: 5000,
      // Central's restart (40-90 s on a busy 2-core machine) comes on top of this.
      outageMs: Number(process.env['BEAMLINE_GEO_OUTAGE_MS'] ?? 5_000),
      log,
      duringOutage: async () => {
        statusDuring.push(await cli('geo', 'status', '-t', tenant, '--admin-url', topo.clusters['edge-nyc'].info.adminUrl));
      },
    });
    log(`drill: ${JSON.stringify(result)}`);
    // geo status read the real stats while central was down: link down, non-zero exit.
    expect(statusDuring[0]?.code).toBe(1);
    expect(statusDuring[0]?.out).toMatch(new RegExp(`DOWN +persistent://${tenant}/edge-nyc/events geo-edge-nyc -> geo-central`));
    expect(result.caughtUp).toBe(true);
    expect(result.events).toMatchObject({ lost: 0, duplicated: 0 });
    expect(result.decisions).toMatchObject({ lost: 0, duplicated: 0 });
    expect(result.events.expected).toBeGreaterThan(5000);
    expect(result.outageMs).toBeGreaterThan(5000);
    // Healed: every link up and within the lag budget.
    const after = await cli('geo', 'status', '-t', tenant, '--admin-url', topo.clusters['edge-nyc'].info.adminUrl, '--max-lag-ms', '30000');
    expect(after.out).toMatch(new RegExp(`ok +persistent://${tenant}/edge-nyc/events geo-edge-nyc -> geo-central`));
    expect(after.code).toBe(0);
  }, 480_000);
});

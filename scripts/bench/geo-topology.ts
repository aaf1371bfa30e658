/**
 * The geo topology for the geo tests (test/integration/geo.test.ts) and the geo benchmark: three real standalone brokers
 * (central, edge-nyc, edge-sfo on offsets 400/410/420), each its own cluster, and a tenant spec
 * built from tenants/ride-safety.yaml pointing at them instead of its example hostnames.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PulsarAdmin } from '../../functions/control-plane.ts';
import { GEO_MEMBERS, geoStatus, runningMembers, startGeo, stopGeo, type GeoCluster } from '../../local-broker/index.ts';
import type { RegionAdmins } from '../../tenants/plan/index.ts';
import { compileTenantSpec, type TenantConfig } from '../../tenants/definition/index.ts';

export interface GeoTopology {
  readonly clusters: Readonly<Record<'central' | 'edge-nyc' | 'edge-sfo', GeoCluster>>;
  readonly admins: RegionAdmins;
  admin(region: 'central' | 'edge-nyc' | 'edge-sfo'): PulsarAdmin;
}

/**
 * Starts the topology fresh (stopping leftovers of a killed run). With BEAMLINE_GEO_REUSE=1 a
 * topology that already runs and is fully registered is used as is (for iterating on a test).
 */
export async function startTopology(log: (line: string) => void): Promise<GeoTopology> {
  const reuse =
    process.env['BEAMLINE_GEO_REUSE'] === '1' && (await geoStatus()).every((s) => s.ready && s.peers.length === GEO_MEMBERS.length - 1);
  if (!reuse) {
    await stopGeo();
    await startGeo({ log });
  }
  return topology(await runningMembers());
}

export async function stopTopology(): Promise<void> {
  if (process.env['BEAMLINE_GEO_REUSE'] === '1') return;
  await stopGeo();
}

function topology(running: GeoCluster[]): GeoTopology {
  const by = (region: string): GeoCluster => {
    const c = running.find((r) => r.member.region === region);
    if (c === undefined) throw new Error(`geo member ${region} is not running`);
    return c;
  };
  const clusters = { central: by('central'), 'edge-nyc': by('edge-nyc'), 'edge-sfo': by('edge-sfo') };
  const admins = new Map(
    Object.values(clusters).map((c) => [c.member.cluster, new PulsarAdmin({ url: c.info.adminUrl, timeoutMs: 15_000 })]),
  );
  return {
    clusters,
    admins,
    admin: (region) => {
      const a = admins.get(clusters[region].member.cluster);
      if (a === undefined) throw new Error(`no admin for ${region}`);
      return a;
    },
  };
}

/** ride-safety.yaml under another tenant name, its regions pointed at the local topology. */
export function geoSpec(tenant: string, edit: (doc: Record<string, unknown>) => void = () => undefined): TenantConfig {
  const doc = parse(readFileSync('tenants/ride-safety.yaml', 'utf8')) as Record<string, unknown>;
  doc['tenant'] = tenant;
  doc['regions'] = GEO_MEMBERS.map((m) => ({
    name: m.region,
    cluster: m.cluster,
    serviceUrl: `pulsar://127.0.0.1:${6650 + m.offset}`,
    adminUrl: `http://127.0.0.1:${8080 + m.offset}`,
    // Small partition counts: three brokers share two cores.
    partitions: { events: 2, predictions: 2, actions: 1, review: 1, state: 1 },
  }));
  const edges = GEO_MEMBERS.filter((m) => m.region !== 'central').map((m) => m.region);
  doc['replication'] = [{ namespace: 'central', to: edges }, ...edges.map((e) => ({ namespace: e, to: ['central'] }))];
  edit(doc);
  return compileTenantSpec(doc, { baseDir: 'tenants' }, `geo spec ${tenant}`);
}

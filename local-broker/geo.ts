/**
 * A local geo topology of real brokers: `central` and two edges, each a standalone broker that is
 * its own Pulsar cluster (own RocksDB metadata store, own bookie, clusterName = instance name),
 * registered with each other through the clusters admin API so namespaces can replicate between
 * them. Metadata is NOT shared (no configuration metadata store): tenants, namespaces, topics and
 * replication policies must be created on every cluster that takes part, which is exactly what
 * `beamline tenant apply` does for a multi-region spec.
 */
import { brokerStatus, readInfo, startBroker, stopBroker, type BrokerInfo } from './broker.ts';
import { BrokerScriptError } from './errors.ts';

export interface GeoMember {
  /** Region name in a tenant spec (`central`, `edge-nyc`, ...). */
  readonly region: string;
  /** Instance and Pulsar cluster name. */
  readonly cluster: string;
  /** Port offset: 6650+offset, 8080+offset, 3181+offset. */
  readonly offset: number;
  /** Prefix of this member's KEY=VALUE lines (CENTRAL_, EDGE_NYC_, ...). */
  readonly envPrefix: string;
}

/** The default topology; offsets 400/410/420 are reserved for it so it never meets another broker. */
export const GEO_MEMBERS: readonly GeoMember[] = Object.freeze([
  Object.freeze({ region: 'central', cluster: 'geo-central', offset: 400, envPrefix: 'CENTRAL' }),
  Object.freeze({ region: 'edge-nyc', cluster: 'geo-edge-nyc', offset: 410, envPrefix: 'EDGE_NYC' }),
  Object.freeze({ region: 'edge-sfo', cluster: 'geo-edge-sfo', offset: 420, envPrefix: 'EDGE_SFO' }),
]);

export interface GeoStartOptions {
  /** Start only these regions (the others must already run, e.g. a restarted central). @default every member */
  regions?: readonly string[];
  /** Restart on the data of an earlier run (an outage test stops and restarts a region). @default false */
  keepData?: boolean;
  /** JVM heap per broker. @default '512m' */
  heap?: string;
  /** How long each broker may take to become ready (a restart under load can take minutes). @default 180000 */
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface GeoCluster {
  readonly member: GeoMember;
  readonly info: BrokerInfo;
}

function pick(regions: readonly string[] | undefined): GeoMember[] {
  if (regions === undefined) return [...GEO_MEMBERS];
  return regions.map((r) => {
    const m = GEO_MEMBERS.find((x) => x.region === r || x.cluster === r);
    if (m === undefined)
      throw new BrokerScriptError(
        `--region ${JSON.stringify(r)} is not part of the geo topology`,
        `use one of ${GEO_MEMBERS.map((x) => x.region).join(', ')}`,
      );
    return m;
  });
}

/**
 * Starts the chosen members (one after another: three JVMs starting at once starve a 2-core
 * machine), then registers every running member as a cluster on every other one.
 */
export async function startGeo(options: GeoStartOptions = {}): Promise<GeoCluster[]> {
  const log = options.log ?? (() => undefined);
  for (const m of pick(options.regions)) {
    await startBroker({
      name: m.cluster,
      offset: m.offset,
      heap: options.heap ?? '512m',
      keepData: options.keepData ?? false,
      ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
      log: (l) => log(`[${m.region}] ${l}`),
    });
  }
  const running = await runningMembers();
  await registerClusters(running, log);
  return running;
}

/** Every member whose broker runs now. */
export async function runningMembers(): Promise<GeoCluster[]> {
  const out: GeoCluster[] = [];
  for (const m of GEO_MEMBERS) {
    const s = await brokerStatus(m.cluster);
    if (s.running && s.info !== undefined) out.push({ member: m, info: s.info });
  }
  return out;
}

/** On each running member, create (or correct) a cluster entry for every other member. */
export async function registerClusters(running: readonly GeoCluster[], log: (line: string) => void = () => undefined): Promise<void> {
  for (const on of running) {
    for (const peer of GEO_MEMBERS) {
      if (peer.cluster === on.member.cluster) continue;
      const want = { serviceUrl: `http://127.0.0.1:${8080 + peer.offset}`, brokerServiceUrl: `pulsar://127.0.0.1:${6650 + peer.offset}` };
      const url = `${on.info.adminUrl}/admin/v2/clusters/${peer.cluster}`;
      const cur = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (cur.ok) {
        const have = (await cur.json()) as { serviceUrl?: string; brokerServiceUrl?: string };
        if (have.serviceUrl === want.serviceUrl && have.brokerServiceUrl === want.brokerServiceUrl) continue;
      } else await cur.arrayBuffer();
      const res = await fetch(url, {
        method: cur.ok ? 'POST' : 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(want),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (!res.ok)
        throw new BrokerScriptError(
          `registering cluster ${peer.cluster} on ${on.member.cluster} failed: HTTP ${res.status} ${text}`,
          `check ${on.info.logFile}`,
        );
      log(`registered cluster ${peer.cluster} on ${on.member.cluster}`);
    }
  }
}

/** Stops the chosen members (default: all). Returns the ones that were running. */
export async function stopGeo(regions?: readonly string[]): Promise<string[]> {
  const stopped: string[] = [];
  for (const m of pick(regions)) if (await stopBroker(m.cluster)) stopped.push(m.region);
  return stopped;
}

export interface GeoMemberStatus {
  readonly member: GeoMember;
  readonly running: boolean;
  readonly ready: boolean;
  /** Peers this member has a cluster entry for. */
  readonly peers: readonly string[];
}

export async function geoStatus(): Promise<GeoMemberStatus[]> {
  const out: GeoMemberStatus[] = [];
  for (const m of GEO_MEMBERS) {
    const s = await brokerStatus(m.cluster);
    let peers: string[] = [];
    if (s.ready && s.info !== undefined) {
      const res = await fetch(`${s.info.adminUrl}/admin/v2/clusters`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      if (res?.ok)
        peers = ((await res.json()) as string[]).filter((c) => c !== m.cluster && GEO_MEMBERS.some((g) => g.cluster === c)).sort();
    }
    out.push({ member: m, running: s.running, ready: s.ready, peers });
  }
  return out;
}

/** KEY=VALUE lines for every member that has run (its broker.json is there). */
export function geoEnvLines(): string[] {
  const lines = [`GEO_CLUSTERS=${GEO_MEMBERS.map((m) => m.cluster).join(',')}`];
  for (const m of GEO_MEMBERS) {
    const info = readInfo(m.cluster);
    if (info === undefined) continue;
    lines.push(
      `${m.envPrefix}_PULSAR_SERVICE_URL=${info.serviceUrl}`,
      `${m.envPrefix}_PULSAR_ADMIN_URL=${info.adminUrl}`,
      `${m.envPrefix}_PULSAR_CLUSTER=${m.cluster}`,
    );
  }
  return lines;
}

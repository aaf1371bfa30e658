/**
 * Replication health of a geo tenant, per replicated topic and direction (#19). Read from the
 * source cluster's topic stats (`replication.<remote>` of every partition): backlog, rate,
 * delay, and whether the outbound link is up. The `connected` flag alone is not trusted
 * (partitioned stats have reported it false while replicating, apache/pulsar#19248, and the OTel
 * counter reads inverted): a link counts as up only when every loaded partition is connected with
 * an outbound connection, and a backlog that does not drain shows up as lag.
 */
import { PulsarAdmin, isAdminStatus, type TopicStats } from '../../functions/control-plane.ts';
import { propertyKeys } from '../definition/index.ts';

export type LinkState = 'up' | 'down' | 'idle' | 'unreachable';

export interface ReplicationLink {
  readonly topic: string;
  readonly from: string;
  readonly to: string;
  readonly state: LinkState;
  /** Messages written at the source and not yet replicated to `to`. */
  readonly backlog: number;
  /** Messages/s replicated out, summed over partitions (the broker's last stats interval). */
  readonly rateOut: number;
  /** Age of the oldest unreplicated message (ms); 0 with no backlog. */
  readonly lagMs: number;
  /** Partitions whose replicator towards `to` is connected / loaded at the source. */
  readonly connectedPartitions: number;
  readonly loadedPartitions: number;
  readonly partitions: number;
  /** Why the state is not up, when it is not. */
  readonly detail?: string;
}

export interface GeoStatusOptions {
  /** The cluster whose admin URL was given; peers' admin URLs come from its cluster entries. */
  readonly admin: PulsarAdmin;
  readonly tenant: string;
  /** Token for the peers' admin APIs. @default the admin's own */
  readonly token?: string;
}

interface ReplicatorStats {
  msgRateOut?: number;
  replicationBacklog?: number;
  connected?: boolean;
  replicationDelayInSeconds?: number;
  outboundConnection?: string;
}

/** Every replicated topic of the tenant, one row per (topic, from, to). */
export async function readGeoStatus(options: GeoStatusOptions): Promise<ReplicationLink[]> {
  const { admin, tenant } = options;
  const token = options.token ?? options.admin.config.token;
  const admins = new Map<string, PulsarAdmin>();
  for (const c of await admin.clusters.list()) {
    const d = await admin.clusters.get(c).catch(() => undefined);
    const url = d?.serviceUrl;
    if (typeof url === 'string' && url !== '')
      admins.set(c, new PulsarAdmin({ url, ...(typeof token === 'string' ? { token } : {}), timeoutMs: 5000 }));
  }
  const links: ReplicationLink[] = [];
  for (const ns of (await admin.namespaces.list(tenant)).sort()) {
    const policies = await admin.namespaces.getPolicies(ns);
    const nsClusters = policies.replication_clusters ?? [];
    if (nsClusters.length < 2) continue;
    const home = policies.properties?.[propertyKeys.cluster];
    if (home === undefined) continue; // not a namespace Beamline manages
    const source = admins.get(home);
    const topics = await admin.topics.listPartitioned(ns);
    for (const topic of topics.sort()) {
      const clusters = (await admin.topics.getReplicationClusters(topic).catch(() => null)) ?? nsClusters;
      const remotes = clusters.filter((c) => c !== home).sort();
      if (remotes.length === 0) continue;
      if (source === undefined) {
        for (const to of remotes) links.push(unreachable(topic, home, to, `no admin URL registered for cluster ${home}`));
        continue;
      }
      let stats: Record<string, TopicStats>;
      let partitions: number;
      try {
        const s = await source.topics.getPartitionedStats(topic, { perPartition: true });
        partitions = s.metadata?.partitions ?? 0;
        stats = s.partitions ?? {};
      } catch (err) {
        const why = isAdminStatus(err, 404)
          ? `topic missing on ${home}`
          : `cannot read stats on ${home}: ${err instanceof Error ? err.message : String(err)}`;
        for (const to of remotes) links.push(unreachable(topic, home, to, why));
        continue;
      }
      for (const to of remotes) links.push(link(topic, home, to, partitions, stats));
    }
  }
  return links;
}

function unreachable(topic: string, from: string, to: string, detail: string): ReplicationLink {
  return {
    topic,
    from,
    to,
    state: 'unreachable',
    backlog: 0,
    rateOut: 0,
    lagMs: 0,
    connectedPartitions: 0,
    loadedPartitions: 0,
    partitions: 0,
    detail,
  };
}

function link(topic: string, from: string, to: string, partitions: number, stats: Record<string, TopicStats>): ReplicationLink {
  let backlog = 0;
  let rateOut = 0;
  let delaySeconds = 0;
  let loaded = 0;
  let connected = 0;
  for (const s of Object.values(stats)) {
    const r = (s['replication'] as Record<string, ReplicatorStats> | undefined)?.[to];
    if (r === undefined) continue;
    loaded++;
    const b = r.replicationBacklog ?? 0;
    backlog += b;
    rateOut += r.msgRateOut ?? 0;
    delaySeconds = Math.max(delaySeconds, r.replicationDelayInSeconds ?? 0);
    if (r.connected === true && typeof r.outboundConnection === 'string' && r.outboundConnection !== '') connected++;
  }
  // The broker's delay: age of the oldest unreplicated message, in whole seconds.
  const lagMs = backlog > 0 ? delaySeconds * 1000 : 0;
  const state: LinkState = loaded === 0 ? 'idle' : connected < loaded ? 'down' : 'up';
  const detail =
    state === 'idle'
      ? `no partition of ${topic} is loaded on ${from} yet (nothing produced since the broker started)`
      : state === 'down'
        ? `${loaded - connected} of ${loaded} partition replicator(s) ${from} -> ${to} not connected`
        : undefined;
  return {
    topic,
    from,
    to,
    state,
    backlog,
    rateOut,
    lagMs,
    connectedPartitions: connected,
    loadedPartitions: loaded,
    partitions,
    ...(detail === undefined ? {} : { detail }),
  };
}

/**
 * The same figures in Prometheus' text format, for a node-exporter textfile collector or a
 * scrape of `beamline geo status --prometheus` run on a timer.
 */
export function geoStatusPrometheus(links: readonly ReplicationLink[]): string {
  const families: [string, string, (l: ReplicationLink) => number][] = [
    ['beamline_geo_replication_backlog_messages', 'Messages written at the source and not yet replicated.', (l) => l.backlog],
    ['beamline_geo_replication_rate_messages_per_second', 'Messages/s replicated out over the broker stats interval.', (l) => l.rateOut],
    ['beamline_geo_replication_lag_seconds', 'Age of the oldest unreplicated message.', (l) => l.lagMs / 1000],
    [
      'beamline_geo_replication_connected_ratio',
      'Loaded partitions whose replicator is connected (1 = link up; 0 with nothing loaded).',
      (l) => (l.loadedPartitions === 0 ? 0 : l.connectedPartitions / l.loadedPartitions),
    ],
    [
      'beamline_geo_replication_down_ratio',
      '1 when the link is down or its source unreachable.',
      (l) => (l.state === 'down' || l.state === 'unreachable' ? 1 : 0),
    ],
  ];
  const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const lines: string[] = [];
  for (const [name, help, value] of families) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const l of links) lines.push(`${name}{topic="${esc(l.topic)}",from="${esc(l.from)}",to="${esc(l.to)}"} ${value(l)}`);
  }
  return `${lines.join('\n')}\n`;
}

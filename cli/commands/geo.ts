import { geoStatusPrometheus, readGeoStatus, type ReplicationLink } from '../../tenants/plan/index.ts';
import type { FlagSpec } from '../args.ts';
import { adminFromFlags } from '../connect.ts';
import { ADMIN_FLAGS, COMMON_FLAGS, EXIT, usageError } from '../io.ts';
import { defineNoun, type VerbContext } from '../noun.ts';

const FLAGS = {
  tenant: { type: 'string', short: 't', description: 'tenant whose replicated topics to report (required)' },
  'max-lag-ms': { type: 'string', description: 'exit 1 when any link lags more than this (default: 60000)' },
  prometheus: { type: 'boolean', description: "print the figures in Prometheus' text format (beamline_geo_replication_*)" },
  ...ADMIN_FLAGS,
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

const DEFAULT_MAX_LAG_MS = 60_000;

export const geoNoun = defineNoun({
  name: 'geo',
  summary: 'replication health across regions: backlog, rate, lag and link state per topic',
  flags: FLAGS,
  about: [
    "Reads each topic's stats on its home cluster (the replication section of every partition, not only",
    "the connected flag); peers' admin URLs come from the cluster entries of the cluster you point at.",
    'Exit 0 when every link is up (or idle: nothing produced yet) and within --max-lag-ms; 1 otherwise.',
  ],
  verbs: {
    status: {
      summary: 'replication health per replicated topic and direction',
      usage: 'beamline geo status -t TENANT [--admin-url URL] [--max-lag-ms N]',
      examples: [
        'beamline geo status -t ride-safety --admin-url http://central:8080',
        'beamline geo status -t ride-safety --max-lag-ms 5000 -o json   # for scripts and alerts',
        'beamline geo status -t ride-safety --prometheus > /var/lib/node_exporter/beamline-geo.prom',
      ],
      run: status,
    },
  },
});

async function status({ args, io, mode }: VerbContext): Promise<number> {
  const tenant = args.flags['tenant'];
  if (typeof tenant !== 'string') throw usageError('missing -t TENANT (e.g. -t ride-safety)');
  const rawLag = args.flags['max-lag-ms'];
  const maxLagMs = typeof rawLag === 'string' ? Number(rawLag) : DEFAULT_MAX_LAG_MS;
  if (!Number.isFinite(maxLagMs) || maxLagMs < 0)
    throw usageError(`--max-lag-ms: invalid value "${String(rawLag)}"; use a whole number of milliseconds, e.g. 5000`);
  const links = await readGeoStatus({ admin: adminFromFlags(args.flags), tenant });
  const failing = links.filter((l) => l.state === 'down' || l.state === 'unreachable' || l.lagMs > maxLagMs);
  const ok = failing.length === 0;
  if (args.flags['prometheus'] === true) io.stdout(geoStatusPrometheus(links).trimEnd());
  else if (mode === 'json') io.stdout(JSON.stringify({ ok, tenant, maxLagMs, links }, null, 2));
  else io.stdout(formatLinks(tenant, links, maxLagMs));
  return ok ? EXIT.ok : EXIT.failed;
}

function formatLinks(tenant: string, links: readonly ReplicationLink[], maxLagMs: number): string {
  if (links.length === 0)
    return `tenant ${tenant}: no replicated topics (apply a multi-region spec with beamline tenant apply --all-regions)`;
  const lines = [`tenant ${tenant}: ${links.length} replication link(s)`];
  for (const l of links) {
    const flag =
      l.state === 'down' || l.state === 'unreachable' ? 'DOWN' : l.lagMs > maxLagMs ? 'LAGGING' : l.state === 'idle' ? 'idle' : 'ok';
    lines.push(
      `  ${flag.padEnd(7)} ${l.topic} ${l.from} -> ${l.to}: backlog ${l.backlog}, rate ${l.rateOut.toFixed(1)} msg/s, lag ${l.lagMs} ms, connected ${l.connectedPartitions}/${l.loadedPartitions} loaded of ${l.partitions} partition(s)${l.detail === undefined ? '' : ` (${l.detail})`}`,
    );
  }
  return lines.join('\n');
}

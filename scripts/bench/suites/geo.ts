/**
 * Geo-replication benchmark (#19): three real clusters (central, edge-nyc, edge-sfo; see
 * scripts/pulsar geo), one ride-safety tenant applied across them, and the edge-outage drill.
 *
 *   npm run bench -- geo [--rate 1000] [--warm-s 20] [--outage-s 60]
 *
 * - replication lag edge -> central (edge broker's publish time -> central consumer's receive) at
 *   `--rate` events/s while the link is up, p50/p99;
 * - catch-up after central's broker is stopped for `--outage-s` and restarted on its data: from
 *   central ready to every event and decision present at central;
 * - lost and duplicated events and decisions at central, by id (each must be 0).
 * The three brokers are this suite's own (offsets 400/410/420) and are stopped at the end.
 */
import { applyAcrossRegions } from '../../../tenants/plan/index.ts';
import { runEdgeDrill } from '../geo-drill.ts';
import { geoSpec, startTopology, stopTopology } from '../geo-topology.ts';
import { numberOption, type BenchContext, type SuiteResult } from '../suite.ts';

export const needsBroker = false;

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const rate = numberOption(ctx, 'rate', 1000);
  const warmMs = numberOption(ctx, 'warm-s', 20) * 1000;
  const outageMs = numberOption(ctx, 'outage-s', 60) * 1000;
  const log = (line: string): void => ctx.log.info({ line }, 'geo');
  const topo = await startTopology(log);
  try {
    const tenant = `rides-bench-${Date.now().toString(36)}`;
    const config = geoSpec(tenant);
    await applyAcrossRegions(config, topo.admins);
    const r = await runEdgeDrill({ topo, config, ratePerSec: rate, warmMs, outageMs, log, catchUpTimeoutMs: 600_000 });
    const rows = [
      { metric: `replication lag edge -> central p50 (${rate} events/s, link up)`, value: r.lagP50Ms, unit: 'ms' },
      { metric: `replication lag edge -> central p99 (${rate} events/s, link up)`, value: r.lagP99Ms, unit: 'ms' },
      { metric: 'central down (stop -> restarted and ready)', value: r.outageMs, unit: 'ms' },
      { metric: 'catch-up after the outage (central ready -> all events and decisions at central)', value: r.catchUpMs, unit: 'ms' },
      { metric: 'events produced at the edge', value: r.events.expected, unit: 'events' },
      { metric: 'events lost at central', value: r.events.lost, unit: 'events' },
      { metric: 'events duplicated at central', value: r.events.duplicated, unit: 'events' },
      { metric: 'decisions lost at central', value: r.decisions.lost, unit: 'decisions' },
      { metric: 'decisions duplicated at central', value: r.decisions.duplicated, unit: 'decisions' },
      { metric: 'lost', value: r.events.lost + r.decisions.lost, unit: 'messages' },
      { metric: 'duplicated', value: r.events.duplicated + r.decisions.duplicated, unit: 'messages' },
      { metric: 'edge decision p99 before the cut', value: r.decisionP99BeforeMs, unit: 'ms' },
      { metric: 'edge decision p99 during the cut', value: r.decisionP99DuringMs, unit: 'ms' },
    ];
    return {
      rows,
      notes: [
        `three standalone Pulsar 4.0.7 brokers on one machine (each its own cluster, metadata store and bookie), ${rate} events/s for ${warmMs / 1000} s, then central stopped for ${outageMs / 1000} s plus its restart time`,
        `caught up: ${r.caughtUp}; lost/duplicated counted by id over every event and decision; lost = lost events + lost decisions = ${r.events.lost + r.decisions.lost}, duplicated = ${r.events.duplicated + r.decisions.duplicated}`,
        'the edge decider is a consumer -> producer loop on the edge (no model), so decision latency is the edge path only',
      ],
    };
  } finally {
    await stopTopology();
  }
}

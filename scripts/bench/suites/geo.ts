/**
 * Geo-replication benchmark (#19): three real clusters (central, edge-nyc, edge-sfo; see
 * scripts/pulsar geo), one ride-safety tenant applied across them, and the edge-outage drill.
 *
 *   npm run bench -- geo [--rate 1000] [--warm-s 20] [--outage-s 60] [--cut freeze|stop]
 *
 * - replication lag edge -> central (edge broker's publish time -> central consumer's receive) at
 *   `--rate` events/s while the link is up, p50/p99;
 * - catch-up after the link to central is cut for `--outage-s` (`freeze`, the default: central's
 *   JVM SIGSTOPped, a partition that black-holes packets; `stop`: its broker stopped and restarted
 *   on its data): from central ready to every event and decision present at central;
 * - lost and duplicated events and decisions at central, by id (each must be 0).
 * The three brokers are this suite's own (offsets 400/410/420) and are stopped at the end.
 */
import { applyAcrossRegions } from '../../../tenants/plan/index.ts';
import { runEdgeDrill, type DrillResult } from '../geo-drill.ts';
import { geoSpec, startTopology, stopTopology } from '../geo-topology.ts';
import { pushRideRiskModel, startEdgeWorker } from '../geo-workers.ts';
import { ConfigError } from '../../../functions/index.ts';
import { numberOption, type BenchContext, type SuiteResult } from '../suite.ts';

export const needsBroker = false;

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const rate = numberOption(ctx, 'rate', 1000);
  const warmMs = numberOption(ctx, 'warm-s', 20) * 1000;
  const outageMs = numberOption(ctx, 'outage-s', 60) * 1000;
  const cut = ctx.options['cut'] ?? 'freeze';
  if (cut !== 'freeze' && cut !== 'stop')
    throw new ConfigError('--cut', cut, 'use freeze (SIGSTOP central: a black-holed link) or stop (stop and restart its broker)');
  const log = (line: string): void => ctx.log.info({ line }, 'geo');
  const topo = await startTopology(log);
  try {
    const tenant = `rides-bench-${Date.now().toString(36)}`;
    const config = geoSpec(tenant);
    await applyAcrossRegions(config, topo.admins);
    await pushRideRiskModel(topo, tenant, '1');
    const worker = await startEdgeWorker(topo, tenant, 'edge-nyc');
    let r: DrillResult;
    try {
      r = await runEdgeDrill({ topo, config, ratePerSec: rate, warmMs, outageMs, cut, log, catchUpTimeoutMs: 600_000 });
    } finally {
      await worker.stop();
    }
    const rows = [
      { metric: `replication lag edge -> central p50 (${rate} events/s, link up)`, value: r.lagP50Ms, unit: 'ms' },
      { metric: `replication lag edge -> central p99 (${rate} events/s, link up)`, value: r.lagP99Ms, unit: 'ms' },
      { metric: `link cut (${cut}: cut -> central ready again)`, value: r.outageMs, unit: 'ms' },
      { metric: 'catch-up after the outage (central ready -> all events and decisions at central)', value: r.catchUpMs, unit: 'ms' },
      { metric: 'events produced at the edge', value: r.events.expected, unit: 'events' },
      { metric: `production rate reached (asked ${rate}/s)`, value: r.producedPerSec, unit: 'events/s' },
      { metric: 'events lost at central', value: r.events.lost, unit: 'events' },
      { metric: 'events duplicated at central', value: r.events.duplicated, unit: 'events' },
      { metric: 'decisions lost at central', value: r.decisions.lost, unit: 'decisions' },
      { metric: 'decisions duplicated at central', value: r.decisions.duplicated, unit: 'decisions' },
      { metric: 'lost', value: r.events.lost + r.decisions.lost, unit: 'messages' },
      { metric: 'duplicated', value: r.events.duplicated + r.decisions.duplicated, unit: 'messages' },
      { metric: 'edge decision p50 before the cut (link up)', value: r.decisionBefore.p50Ms, unit: 'ms' },
      { metric: 'edge decision p99 before the cut (link up)', value: r.decisionBefore.p99Ms, unit: 'ms' },
      { metric: 'edge decision p99 while central is down', value: r.decisionDown.p99Ms, unit: 'ms' },
      { metric: 'edge decision p99 while central restarts (its JVM on the same cores)', value: r.decisionRestarting.p99Ms, unit: 'ms' },
      {
        metric: 'edge decision p99 down / before (the issue asks <= 1.2)',
        value: Math.round((r.decisionDown.p99Ms / Math.max(1, r.decisionBefore.p99Ms)) * 100) / 100,
        unit: 'ratio',
      },
      { metric: 'review cases from planted harsh trips at central', value: r.reviewCasesAtCentral, unit: 'cases' },
    ];
    return {
      rows,
      notes: [
        `three standalone Pulsar 4.0.7 brokers on one machine (each its own cluster, metadata store and bookie), ${rate} events/s for ${warmMs / 1000} s, then the link to central cut for ${outageMs / 1000} s (${cut === 'freeze' ? "central's JVM SIGSTOPped" : 'central stopped, plus its restart time'})`,
        `caught up: ${r.caughtUp}; lost/duplicated counted by id over every event and decision; lost = lost events + lost decisions = ${r.events.lost + r.decisions.lost}, duplicated = ${r.events.duplicated + r.decisions.duplicated}`,
        `the edge decider is the ride-safety worker (tenants/examples/ride-safety.worker.yaml) scoring with central's ride-risk model from the edge's replicated registry; decisions by version: ${JSON.stringify(r.modelVersions)}`,
        'edge decision latency = event time -> the prediction read back by a consumer on the edge',
      ],
    };
  } finally {
    await stopTopology();
  }
}

/** The demo's terminal view: one refreshing line on a TTY, plain lines otherwise. */
import type { DemoSummary } from './stats.ts';

export interface LiveFigures {
  tty: boolean;
  sentPerSecond: number;
  decidedPerSecond: number;
  p50: number;
  p99: number;
  sent: number;
  decided: number;
  worker: string;
  /** #22: the latency SLO (bound and the share of recent decisions within it), backlog, batch fill, model, review. */
  slo?: { boundMs: number; withinBound: number };
  backlog?: number | undefined;
  batchFill?: number | undefined;
  modelVersion?: string | null;
  reviews?: number;
  /** #17 (`--replicas N`): which partitions each worker process owns, e.g. `replica-1 [0,3]  replica-2 [1,4]`. */
  partitions?: string;
}

export function renderLive(f: LiveFigures): string {
  const line =
    `in ${f.sentPerSecond.toString().padStart(6)}/s  decided ${f.decidedPerSecond.toString().padStart(6)}/s  ` +
    `received latency p50 ${f.p50.toFixed(0).padStart(5)} ms  p99 ${f.p99.toFixed(0).padStart(5)} ms  ` +
    `sent ${f.sent}  decided ${f.decided}  worker ${f.worker}` +
    (f.slo === undefined ? '' : `  slo<=${f.slo.boundMs}ms ${(f.slo.withinBound * 100).toFixed(1)}%`) +
    (f.backlog === undefined ? '' : `  backlog ${f.backlog}`) +
    (f.batchFill === undefined ? '' : `  fill ${(f.batchFill * 100).toFixed(0)}%`) +
    (f.modelVersion === undefined || f.modelVersion === null ? '' : `  model ${f.modelVersion}`) +
    (f.reviews === undefined ? '' : `  review ${f.reviews}`) +
    (f.partitions === undefined ? '' : `  partitions ${f.partitions}`);
  // On a terminal, rewrite the previous line in place.
  return f.tty ? `\u001b[1A\u001b[2K${line}` : line;
}

export function renderSummary(s: DemoSummary): string {
  const rows: Array<[string, string]> = [
    ['events sent', String(s.events)],
    ['events decided', String(s.decided)],
    ['duration', `${s.durationSeconds} s`],
    ['input rate', `${s.inputRatePerSecond}/s`],
    ['decisions', `${s.decisionsPerSecond}/s`],
    ['latency p50 / p99 / p99.9', `${s.latencyMs.p50} / ${s.latencyMs.p99} / ${s.latencyMs.p999} ms (event to decision received)`],
    ['  to publish (pre-commit)', `${s.publishLatencyMs.p50} / ${s.publishLatencyMs.p99} / ${s.publishLatencyMs.p999} ms`],
    [
      'decisions by kind',
      Object.entries(s.decisions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['fraud events', String(s.frauds)],
    ['blocked (precision / recall)', `${s.fraudsBlocked} (${(s.blockPrecision * 100).toFixed(1)}% / ${(s.blockRecall * 100).toFixed(1)}%)`],
    ['blocked or in review (recall)', `${(s.flaggedRecall * 100).toFixed(1)}%`],
    [
      'blocked by pattern',
      Object.entries(s.recallByPattern)
        .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
        .join(', '),
    ],
    [
      'blocked or in review by pattern',
      Object.entries(s.flaggedRecallByPattern)
        .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
        .join(', '),
    ],
    ['honest payments blocked', `${(s.honestBlockedRate * 100).toFixed(2)}%`],
    ['dead-lettered', String(s.deadLettered)],
    ['model versions', s.modelVersions.join(', ') || '-'],
    ['decided twice', String(s.duplicateOutputs)],
    ...(s.replicas === undefined
      ? []
      : ([
          ['worker processes', s.replicas.map((r) => `${r.name} [${r.owned.join(',')}]`).join('  ')],
          ['partition hand-overs', String(s.partitionMoves ?? 0)],
        ] as Array<[string, string]>)),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return ['', 'Beamline demo summary', ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`), ''].join('\n');
}

/** The first sample of a metric in a Prometheus exposition (any labels). */
export function sampleOf(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** A histogram's mean (sum over count, all label sets together). */
export function meanOf(text: string, name: string): number | undefined {
  let sum = 0;
  let count = 0;
  for (const m of text.matchAll(new RegExp(`^${name}_(sum|count)(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) {
    if (m[1] === 'sum') sum += Number(m[2]);
    else count += Number(m[2]);
  }
  return count === 0 ? undefined : sum / count;
}

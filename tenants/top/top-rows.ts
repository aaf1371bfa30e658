/**
 * One row per namespace for `beamline top`, from the workers' /metrics scrapes (two in a row give
 * rates and recent percentiles) and the broker's topic stats. Pure: the command does the I/O.
 */
import { BREAKER_STATE_TEXT, BREAKER_STATES, type BreakerStateText } from '../../functions/control-plane.ts';
import type { Sample } from './prom-text.ts';

/** One scrape of one worker's /metrics. */
export interface Scrape {
  readonly url: string;
  readonly atMs: number;
  /** null when the endpoint could not be read (then `error` says why). */
  readonly samples: readonly Sample[] | null;
  readonly error?: string;
}

/** What the admin API says about a namespace's input topic. */
export interface BrokerFigures {
  /** Broker-measured publish rate into the events topic. */
  readonly inputPerSec: number | null;
  /** Messages waiting in the worker's subscription of the events topic. */
  readonly backlog: number | null;
  /** Messages not yet replicated to the other clusters (summed over them). */
  readonly replicationBacklog: number | null;
}

export interface ModelShare {
  readonly model: string;
  readonly version: string;
  readonly route: string;
  readonly share: number;
}

export interface TopRow {
  readonly tenant: string;
  readonly namespace: string;
  /** Metrics endpoints reporting this namespace. */
  readonly workers: number;
  readonly inputPerSec: number | null;
  readonly brokerInputPerSec: number | null;
  readonly backlog: number | null;
  readonly decisionP50Ms: number | null;
  readonly decisionP99Ms: number | null;
  readonly sloBoundMs: number | null;
  readonly batchFill: number | null;
  readonly models: readonly ModelShare[];
  readonly breaker: BreakerStateText | null;
  readonly reviewPerSec: number | null;
  readonly reviewQueue: number | null;
  readonly deadLetterPerSec: number | null;
  readonly replicationBacklog: number | null;
}

export interface RowInputs {
  readonly now: readonly Scrape[];
  /** The previous scrape of the same endpoints, for rates; absent on the first frame. */
  readonly before?: readonly Scrape[];
  /** Keyed `tenant/namespace`. */
  readonly broker?: ReadonlyMap<string, BrokerFigures>;
  /** Open review items read from the review topics, keyed `tenant/namespace` (else the workers' gauge). */
  readonly reviewQueue?: ReadonlyMap<string, number>;
  /** Namespaces to show even when no worker reports them (from the admin API). */
  readonly namespaces?: readonly string[];
  /** Only this tenant's namespaces. */
  readonly tenant?: string;
}

export function buildRows(inputs: RowInputs): TopRow[] {
  const before = new Map((inputs.before ?? []).map((s) => [s.url, s]));
  const names = new Set<string>([...(inputs.namespaces ?? []), ...(inputs.broker?.keys() ?? [])]);
  const perEndpoint = inputs.now.map((s) => ({ now: s, before: before.get(s.url), namespaces: namespacesOf(s.samples ?? []) }));
  for (const e of perEndpoint) for (const n of e.namespaces) names.add(n);
  const rows: TopRow[] = [];
  for (const key of [...names].sort()) {
    const [tenant = '', namespace = ''] = key.split('/');
    if (inputs.tenant !== undefined && tenant !== inputs.tenant) continue;
    const mine = perEndpoint.filter((e) => e.namespaces.has(key));
    const nsOnly = (s: Sample): boolean => s.labels['tenant'] === tenant && s.labels['namespace'] === namespace;
    const rate = (name: string, where: (s: Sample) => boolean = nsOnly): number | null => sumRates(mine, name, where);
    const broker = inputs.broker?.get(key);
    const latency = quantiles(mine, 'beamline_decision_latency_seconds', nsOnly);
    const bound = first(mine, 'beamline_slo_decision_latency_bound_seconds', nsOnly);
    rows.push({
      tenant,
      namespace,
      workers: mine.length,
      inputPerSec: rate('beamline_records_received_total'),
      brokerInputPerSec: broker?.inputPerSec ?? null,
      backlog: broker?.backlog ?? sumValues(mine, 'beamline_consumer_backlog_messages', nsOnly),
      decisionP50Ms: latency === null ? null : latency(0.5) * 1000,
      decisionP99Ms: latency === null ? null : latency(0.99) * 1000,
      sloBoundMs: bound === null ? null : bound * 1000,
      batchFill: meanOf(mine, 'beamline_inference_batch_fill_ratio'),
      models: modelShares(mine),
      breaker: breakerOf(mine),
      reviewPerSec: rate('beamline_events_out_total', (s) => nsOnly(s) && s.labels['topic'] === 'review'),
      // Read from the topic when asked (--service-url), else the workers' gauge (#22; replicas agree, so the max).
      reviewQueue: inputs.reviewQueue?.get(key) ?? maxValue(mine, 'beamline_review_queue_depth_messages', nsOnly),
      deadLetterPerSec: rate('beamline_dead_lettered_total'),
      replicationBacklog: broker?.replicationBacklog ?? null,
    });
  }
  return rows;
}

interface Endpoint {
  readonly now: Scrape;
  readonly before: Scrape | undefined;
}

function namespacesOf(samples: readonly Sample[]): Set<string> {
  const out = new Set<string>();
  for (const s of samples) {
    const t = s.labels['tenant'];
    const n = s.labels['namespace'];
    if (t !== undefined && n !== undefined && s.name.startsWith('beamline_')) out.add(`${t}/${n}`);
  }
  return out;
}

function total(scrape: Scrape | undefined, name: string, where: (s: Sample) => boolean): number | null {
  if (scrape?.samples == null) return null;
  let sum = 0;
  let seen = false;
  for (const s of scrape.samples) {
    if (s.name === name && where(s)) {
      sum += s.value;
      seen = true;
    }
  }
  return seen ? sum : null;
}

/** Counter increase per second between the two scrapes, summed over endpoints; null without two. */
function sumRates(eps: readonly Endpoint[], name: string, where: (s: Sample) => boolean): number | null {
  let sum = 0;
  let any = false;
  for (const e of eps) {
    const a = total(e.before, name, where);
    const b = total(e.now, name, where);
    const dt = (e.now.atMs - (e.before?.atMs ?? e.now.atMs)) / 1000;
    if (b === null || dt <= 0) continue;
    // A restarted worker's counters start again from zero: its whole count is the increase.
    const inc = a === null || b < a ? b : b - a;
    sum += inc / dt;
    any = true;
  }
  return any ? sum : null;
}

function sumValues(eps: readonly Endpoint[], name: string, where: (s: Sample) => boolean): number | null {
  const vs = eps.map((e) => total(e.now, name, where)).filter((v): v is number => v !== null);
  return vs.length === 0 ? null : vs.reduce((a, b) => a + b, 0);
}

function maxValue(eps: readonly Endpoint[], name: string, where: (s: Sample) => boolean): number | null {
  const vs = eps.map((e) => total(e.now, name, where)).filter((v): v is number => v !== null);
  return vs.length === 0 ? null : Math.max(...vs);
}

function first(eps: readonly Endpoint[], name: string, where: (s: Sample) => boolean): number | null {
  for (const e of eps) {
    const v = total(e.now, name, where);
    if (v !== null) return v;
  }
  return null;
}

/**
 * A quantile function over a histogram summed across endpoints: over the interval between the
 * scrapes when something was observed in it, else since the workers started.
 */
function quantiles(eps: readonly Endpoint[], name: string, where: (s: Sample) => boolean): ((q: number) => number) | null {
  const buckets = (pick: (e: Endpoint) => Scrape | undefined): Map<number, number> => {
    const m = new Map<number, number>();
    for (const e of eps) {
      for (const s of pick(e)?.samples ?? []) {
        if (s.name !== `${name}_bucket` || !where(s)) continue;
        const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
        m.set(le, (m.get(le) ?? 0) + s.value);
      }
    }
    return m;
  };
  const now = buckets((e) => e.now);
  const then = buckets((e) => e.before);
  const recent = new Map([...now].map(([le, c]) => [le, c - (then.get(le) ?? 0)]));
  const use = (recent.get(Infinity) ?? 0) > 0 && [...recent.values()].every((c) => c >= 0) ? recent : now;
  const sorted = [...use].sort((a, b) => a[0] - b[0]);
  const count = use.get(Infinity) ?? 0;
  if (count <= 0) return null;
  return (q) => histogramQuantile(q, sorted, count);
}

/** Prometheus' histogram_quantile: linear inside the bucket; the +Inf bucket answers its lower bound. */
export function histogramQuantile(q: number, buckets: readonly (readonly [number, number])[], count: number): number {
  const rank = q * count;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, c] of buckets) {
    if (c >= rank) {
      if (le === Infinity) return prevLe;
      return c === prevCount ? le : prevLe + ((le - prevLe) * (rank - prevCount)) / (c - prevCount);
    }
    prevLe = le;
    prevCount = c;
  }
  return prevLe;
}

/** Mean of a histogram (sum / count) across the endpoint's models, recent when possible. */
function meanOf(eps: readonly Endpoint[], name: string): number | null {
  const any = (): boolean => true;
  const sum = (pick: (e: Endpoint) => Scrape | undefined, suffix: string): number =>
    eps.reduce((a, e) => a + (total(pick(e), `${name}${suffix}`, any) ?? 0), 0);
  const n = sum((e) => e.now, '_count');
  const s = sum((e) => e.now, '_sum');
  const dn = n - sum((e) => e.before, '_count');
  const ds = s - sum((e) => e.before, '_sum');
  if (dn > 0) return ds / dn;
  return n > 0 ? s / n : null;
}

function modelShares(eps: readonly Endpoint[]): ModelShare[] {
  const seen = new Map<string, ModelShare>();
  for (const e of eps) {
    for (const s of e.now.samples ?? []) {
      if (s.name !== 'beamline_model_traffic_ratio' || s.value <= 0) continue;
      const m: ModelShare = {
        model: s.labels['model'] ?? '',
        version: s.labels['version'] ?? '',
        route: s.labels['route'] ?? '',
        share: s.value,
      };
      seen.set(`${m.model}@${m.version}/${m.route}`, m);
    }
  }
  const order = ['live', 'canary', 'shadow'];
  return [...seen.values()].sort((a, b) => a.model.localeCompare(b.model) || order.indexOf(a.route) - order.indexOf(b.route));
}

function breakerOf(eps: readonly Endpoint[]): BreakerStateText | null {
  let worst = -1;
  for (const e of eps)
    for (const s of e.now.samples ?? []) if (s.name === 'beamline_inference_breaker_state') worst = Math.max(worst, s.value);
  const state = worst < 0 ? undefined : BREAKER_STATES[Math.min(2, Math.round(worst))];
  return state === undefined ? null : BREAKER_STATE_TEXT[state];
}

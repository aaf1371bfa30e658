/**
 * OpenMetrics text exposition with exemplars (#22), beside prom-client's Prometheus text.
 *
 * A scraper that asks for OpenMetrics (`Accept: application/openmetrics-text`, as Prometheus does
 * with exemplar storage on) gets every metric in that format, and latency histograms' bucket lines
 * carry the latest exemplar that fell in the bucket:
 *
 *   beamline_decision_latency_seconds_bucket{tenant="t",namespace="ns",le="0.5"} 12 # {trace_id="4bf9…",span_id="00f0…"} 0.31 1733472000.123
 *
 * prom-client can print exemplars only from a registry fixed to OpenMetrics (and then renames its
 * counters in place), so this renders its JSON view instead: one registry serves both formats.
 * Pure: no I/O; time comes in as arguments.
 */

export type MetricsFormat = 'prometheus' | 'openmetrics';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The trace an observation belongs to (W3C ids, lowercase hex). */
export interface Exemplar {
  readonly traceId: string;
  readonly spanId?: string | undefined;
}

/**
 * The format a scraper asked for: OpenMetrics when its Accept header lists
 * `application/openmetrics-text` with a non-zero q, else Prometheus text (also for no header).
 */
export function metricsFormatFor(accept: string | undefined): MetricsFormat {
  if (accept === undefined) return 'prometheus';
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (type !== 'application/openmetrics-text') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return 'openmetrics';
  }
  return 'prometheus';
}

interface StoredExemplar {
  readonly labels: string;
  readonly value: number;
  readonly timestampMs: number;
}

type LabelValues = Readonly<Record<string, string | number>>;

/** Series key: the label pairs (without `le`), sorted by name. */
function seriesKey(labels: LabelValues): string {
  return Object.keys(labels)
    .filter((k) => k !== 'le')
    .sort()
    .map((k) => `${k}\u0000${String(labels[k])}`)
    .join('\u0001');
}

/** The latest exemplar of each bucket of each series of one histogram. */
export class HistogramExemplars {
  readonly #bounds: readonly number[];
  readonly #bySeries = new Map<string, Map<string, StoredExemplar>>();

  constructor(bounds: readonly number[]) {
    this.#bounds = [...bounds].sort((a, b) => a - b);
  }

  record(labels: LabelValues, value: number, exemplar: Exemplar, nowMs: number): void {
    // The bucket it counts in first: the smallest upper bound >= value (OpenMetrics puts an
    // exemplar on the bucket whose range holds its value).
    const bound = this.#bounds.find((b) => value <= b);
    const le = bound === undefined ? '+Inf' : String(bound);
    const key = seriesKey(labels);
    let buckets = this.#bySeries.get(key);
    if (buckets === undefined) {
      buckets = new Map();
      this.#bySeries.set(key, buckets);
    }
    const set =
      exemplar.spanId === undefined ? `trace_id="${exemplar.traceId}"` : `trace_id="${exemplar.traceId}",span_id="${exemplar.spanId}"`;
    buckets.set(le, { labels: set, value, timestampMs: nowMs });
  }

  /** The exemplar for a bucket line, if one was recorded. */
  lookup(labels: LabelValues): StoredExemplar | undefined {
    const le = labels['le'];
    if (le === undefined) return undefined;
    return this.#bySeries.get(seriesKey(labels))?.get(String(le));
  }
}

/** One metric family as prom-client's `getMetricsAsJSON()` gives it. */
export interface MetricFamilyJson {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly values: ReadonlyArray<{ readonly labels: LabelValues; readonly value: number; readonly metricName?: string }>;
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

const escapeValue = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function labelText(labels: LabelValues): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeValue(String(v))}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/**
 * OpenMetrics text for `families`. Counters named `..._total` become family `...` with samples
 * `..._total` (OpenMetrics' rule); a counter with another unit suffix is typed `unknown`, so its
 * series keeps the name it has in Prometheus text. `exemplarsOf(name)` gives a histogram's store.
 */
export function renderOpenMetrics(
  families: readonly MetricFamilyJson[],
  exemplarsOf: (name: string) => HistogramExemplars | undefined,
): string {
  const lines: string[] = [];
  for (const f of families) {
    let family = f.name;
    let type = f.type;
    if (type === 'counter') {
      if (family.endsWith('_total')) family = family.slice(0, -'_total'.length);
      else type = 'unknown';
    } else if (type !== 'gauge' && type !== 'histogram' && type !== 'summary') {
      type = 'unknown';
    }
    lines.push(`# TYPE ${family} ${type}`, `# HELP ${family} ${escapeValue(f.help)}`);
    const exemplars = f.type === 'histogram' ? exemplarsOf(f.name) : undefined;
    for (const v of f.values) {
      const sample = type === 'counter' ? `${family}_total` : (v.metricName ?? f.name);
      let line = `${sample}${labelText(v.labels)} ${num(v.value)}`;
      if (exemplars !== undefined && sample.endsWith('_bucket')) {
        const e = exemplars.lookup(v.labels);
        if (e !== undefined) line += ` # {${e.labels}} ${num(e.value)} ${(e.timestampMs / 1000).toFixed(3)}`;
      }
      lines.push(line);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

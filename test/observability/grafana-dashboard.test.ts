/**
 * The Grafana dashboard (observability/grafana/beamline-dashboard.json, also shipped in the Helm
 * chart) queries only what exists: every `beamline_*` metric a panel reads is registered somewhere
 * in the code (names collected from the source's counter/gauge/histogram calls), every recorded
 * series comes from the SLO rules file, and the one broker metric is named here on purpose.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');
const dashboardText = readFileSync(join(repo, 'observability', 'grafana', 'beamline-dashboard.json'), 'utf8');

interface Target {
  expr: string;
  refId: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  gridPos: { h: number; w: number; x: number; y: number };
}
const dashboard = JSON.parse(dashboardText) as {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query: unknown }> };
};

/** Metrics the Pulsar brokers export that the dashboard reads (geo-replication lag). */
const BROKER_METRICS = ['pulsar_replication_backlog'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every metric name registered in the code: the first argument of .counter/.gauge/.histogram. */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  for (const root of ['functions', 'models']) {
    for (const file of sources(join(repo, root))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\.(?:counter|gauge|histogram)\(\s*'([a-z_][a-z0-9_]*)'/g))
        names.add(m[1] as string);
      // A name kept in an exported constant (worker-metrics.ts: EVENT_TO_COMMIT_METRIC) and passed by reference.
      for (const m of readFileSync(file, 'utf8').matchAll(/export const [A-Z_]+_METRIC = '(beamline_[a-z0-9_]*)'/g))
        names.add(m[1] as string);
    }
  }
  return names;
}

function recordedSeries(): Set<string> {
  const rules = readFileSync(join(repo, 'observability', 'prometheus', 'beamline-slo-rules.yaml'), 'utf8');
  return new Set([...rules.matchAll(/^\s*- record: (\S+)$/gm)].map((m) => m[1] as string));
}

/** Metric names a PromQL expression reads (identifiers before `{`, `[` or `)`, minus functions and labels). */
function metricsIn(expr: string): string[] {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const noLabels = noStrings.replace(/\{[^}]*\}/g, '{}').replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = [...noLabels.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?=\{|\[|\)|$|\s*\/|\s*\*|\s*-|\s*\+)/g)].map((m) => m[1] as string);
  const FUNCTIONS = new Set(['sum', 'max', 'min', 'avg', 'rate', 'irate', 'increase', 'histogram_quantile', 'count', 'label_values', 'by']);
  return names.filter((n) => !FUNCTIONS.has(n) && !/^\d/.test(n) && (n.includes('_') || n.includes(':')));
}

/** A histogram's series name back to the metric registered in code. */
const base = (n: string): string => n.replace(/_(bucket|count|sum)$/, '');

describe('Grafana dashboard', () => {
  const exported = exportedMetrics();
  const recorded = recordedSeries();
  const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it('finds the metric names in the code (the collector of names works)', () => {
    expect(exported.has('beamline_decision_latency_seconds')).toBe(true);
    expect(exported.has('beamline_model_score_drift_ratio')).toBe(true);
    expect(recorded.has('beamline_namespace:slo_availability_errors:ratio_rate1h')).toBe(true);
    expect(metricsIn('histogram_quantile(0.99, sum by (le, model) (rate(beamline_x_seconds_bucket{model=~"$m"}[5m])))')).toEqual([
      'beamline_x_seconds_bucket',
    ]);
    expect(metricsIn('1 - a_b:c:ratio_rate1h{t="x"} / 0.001')).toEqual(['a_b:c:ratio_rate1h']);
  });

  it('reads only metrics the worker exports, series the SLO rules record, or the named broker metric', () => {
    expect(targets.length).toBeGreaterThan(15);
    const unknown: string[] = [];
    for (const { panel, expr } of targets) {
      const names = metricsIn(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) {
        const ok = n.includes(':') ? recorded.has(n) : n.startsWith('beamline_') ? exported.has(base(n)) : BROKER_METRICS.includes(n);
        if (!ok) unknown.push(`${panel}: ${n}`);
      }
    }
    for (const v of dashboard.templating.list) {
      const q = (v.query as { query?: string } | string | undefined) ?? '';
      const text = typeof q === 'string' ? q : (q.query ?? '');
      for (const n of metricsIn(text.replace(/^label_values\((.*),\s*\w+\)$/, '$1')))
        if (!exported.has(base(n))) unknown.push(`variable ${v.name}: ${n}`);
    }
    expect(unknown).toEqual([]);
  });

  it('covers what the issue asks for, per namespace', () => {
    const all = targets.map((t) => t.expr).join('\n');
    for (const m of [
      'beamline_consumer_backlog_messages', // lag
      'beamline_decision_latency_seconds_bucket',
      'beamline_inference_batch_fill_ratio_bucket',
      'beamline_inference_batch_seconds_bucket', // inference time
      'beamline_model_score_ratio_bucket', // confidence
      'beamline_model_score_drift_ratio',
      'beamline_inference_breaker_state',
      'beamline_dead_lettered_total',
      'pulsar_replication_backlog',
      'slo_availability_errors',
      'slo_latency_errors',
    ]) {
      expect(all, m).toContain(m);
    }
  });

  it('is a well-formed dashboard: unique panel ids, panels inside the 24-column grid, no overlaps', () => {
    expect(dashboard.uid).toBe('beamline-overview');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const g = p.gridPos;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `${p.title} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
      for (const t of p.targets ?? []) expect(t.expr).not.toMatch(/\$\{?(?!tenant|namespace|model|__rate_interval)[a-z_]+/);
    }
  });
});

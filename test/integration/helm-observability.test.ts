/**
 * #22: the chart ships the SLO rules as a PrometheusRule and the Grafana dashboard as a sidecar
 * ConfigMap, both off by default. Rendered with `helm template`, validated like the rest of the
 * chart (k8s-validate decodes the PrometheusRule strictly into the prometheus-operator Go types;
 * kube-apiserver's validation checks the ConfigMap), and checked to carry exactly the plain files
 * under observability/ (the chart's copies under files/ may not drift from them).
 * Needs no broker; lives with the integration tests for the tool build's time (helm-chart.test.ts).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseWorkerFile } from '../../cli/worker-file.ts';
import { CI_VALUES, PROMETHEUS_API, documents, ensureHelmTools, find, renderChart, validateManifests, valuesFile } from './helm-support.ts';

const minimal = `${CI_VALUES}/minimal-values.yaml`;
const RULES = 'observability/prometheus/beamline-slo-rules.yaml';
const DASHBOARD = 'observability/grafana/beamline-dashboard.json';
const enabled = (): string =>
  valuesFile({
    metrics: { prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } }, grafanaDashboard: { enabled: true } },
  });

beforeAll(async () => {
  await ensureHelmTools();
}, 45 * 60_000);

describe('chart observability (#22)', () => {
  it("the chart's copies are the plain files, byte for byte", () => {
    expect(readFileSync('helm/beamline/files/beamline-slo-rules.yaml', 'utf8')).toBe(readFileSync(RULES, 'utf8'));
    expect(readFileSync('helm/beamline/files/beamline-dashboard.json', 'utf8')).toBe(readFileSync(DASHBOARD, 'utf8'));
  });

  it('renders neither by default', async () => {
    const docs = documents(await renderChart({ values: [minimal], apiVersions: [PROMETHEUS_API] }));
    expect(find(docs, 'PrometheusRule')).toEqual([]);
    expect(docs.filter((d) => d.kind === 'ConfigMap' && d.metadata.name.endsWith('-dashboard'))).toEqual([]);
  });

  it('enabled: a valid PrometheusRule with the rules file groups, and the dashboard ConfigMap for the sidecar', async () => {
    const rendered = await renderChart({ values: [minimal, enabled()], apiVersions: [PROMETHEUS_API], namespace: 'acme' });
    const { schemas, apiServer } = await validateManifests(rendered);
    expect(schemas.out).not.toContain('"errors":["');
    expect(schemas.code).toBe(0);
    expect(apiServer.code).toBe(0);
    const docs = documents(rendered);
    const [rule] = find(docs, 'PrometheusRule');
    expect(rule?.apiVersion).toBe(PROMETHEUS_API);
    expect(rule?.metadata.namespace).toBe('acme');
    expect(rule?.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack', 'app.kubernetes.io/part-of': 'beamline' });
    expect(schemas.reports.find((r) => r.kind === 'PrometheusRule')?.checks).toContain('strict-decode');
    const plain = parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ name: string; rules: unknown[] }> };
    expect((rule?.['spec'] as { groups: unknown }).groups).toEqual(plain.groups);
    expect(plain.groups.flatMap((g) => g.rules)).toHaveLength(16);

    const [dash] = docs.filter((d) => d.kind === 'ConfigMap' && d.metadata.name.endsWith('-dashboard'));
    expect(dash?.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    const json = (dash?.['data'] as Record<string, string>)['beamline-dashboard.json'] ?? '';
    expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
  });

  it('enabled without the Prometheus Operator: fails naming the value and the way out', async () => {
    await expect(renderChart({ values: [minimal, enabled()] })).rejects.toThrow(
      /metrics\.prometheusRule\.enabled: the cluster does not serve monitoring\.coreos\.com\/v1.*plain rules file/,
    );
  });

  it('worker.file.tracing and sloDecisionLatencyMs reach the worker file, which the worker accepts; a bad endpoint is refused', async () => {
    const tracing = valuesFile({
      worker: { file: { tracing: { endpoint: 'http://otel-collector.monitoring:4318', sampleRatio: 0.1 }, sloDecisionLatencyMs: 250 } },
    });
    const docs = documents(await renderChart({ values: [minimal, tracing] }));
    const cm = docs.find(
      (d) => d.kind === 'ConfigMap' && typeof (d['data'] as Record<string, string> | undefined)?.['worker.yaml'] === 'string',
    );
    const text = (cm?.['data'] as Record<string, string>)['worker.yaml'] ?? '';
    const file = parseWorkerFile(text, 'worker.yaml');
    expect(file.tracing).toEqual({ endpoint: 'http://otel-collector.monitoring:4318', sampleRatio: 0.1 });
    expect(file.sloDecisionLatencyMs).toBe(250);
    const bad = valuesFile({ worker: { file: { tracing: { endpoint: 'otel-collector:4317' } } } });
    await expect(renderChart({ values: [minimal, bad] })).rejects.toThrow(/tracing.*endpoint/s);
  });
});

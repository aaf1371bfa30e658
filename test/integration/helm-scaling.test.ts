/**
 * #26: the chart's ScaledObject can combine the subscription backlog with the workers' inference
 * queue: a Prometheus trigger on beamline_inference_queued_rows and KEDA scalingModifiers with the
 * documented formula. Off by default. Rendered with the pinned helm and validated against
 * KEDA's CRDs like the rest of the chart (helm-chart.test.ts).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CI_VALUES,
  KEDA_API,
  PROMETHEUS_API,
  documents,
  ensureHelmTools,
  find,
  renderChart,
  validateManifests,
  valuesFile,
} from './helm-support.ts';

const production = `${CI_VALUES}/production-keda-values.yaml`;
const acmeSpec = (): string => valuesFile({ tenantApply: { spec: parse(readFileSync('tenants/acme-payments.yaml', 'utf8')) } });
const queueOn = (extra: Record<string, unknown> = {}): string =>
  valuesFile({
    autoscaling: {
      keda: {
        inferenceQueue: {
          enabled: true,
          serverAddress: 'http://prometheus-operated.monitoring.svc:9090',
          queuedRowsThreshold: 250,
          ...extra,
        },
      },
    },
  });

beforeAll(async () => {
  await ensureHelmTools();
}, 45 * 60_000);

describe('KEDA scaling on backlog and inference queue (#26)', () => {
  it('is off by default: one pulsar trigger, no scalingModifiers', async () => {
    const docs = documents(
      await renderChart({ values: [production, acmeSpec()], apiVersions: [KEDA_API, PROMETHEUS_API], namespace: 'acme' }),
    );
    const spec = find(docs, 'ScaledObject', 'beamline-eu-west')[0]?.['spec'] as Record<string, unknown>;
    expect(spec['advanced']).toBeUndefined();
    expect((spec['triggers'] as unknown[]).map((t) => (t as { type: string }).type)).toEqual(['apache-pulsar']);
  });

  it('combines backlog and queue with the documented formula, and the manifest validates', async () => {
    const rendered = await renderChart({
      values: [production, acmeSpec(), queueOn()],
      apiVersions: [KEDA_API, PROMETHEUS_API],
      namespace: 'acme',
    });
    const { schemas } = await validateManifests(rendered);
    expect(schemas.out).not.toContain('"errors":["');
    expect(schemas.code).toBe(0);
    expect(schemas.reports.find((r) => r.kind === 'ScaledObject')?.checks).toContain('crd-schema');

    const spec = find(documents(rendered), 'ScaledObject', 'beamline-eu-west')[0]?.['spec'] as Record<string, unknown>;
    // production-keda-values.yaml: msgBacklogThreshold 5000.
    expect(spec['advanced']).toEqual({
      scalingModifiers: { formula: 'backlog / 5000 + queued / 250', target: '1', activationTarget: '0', metricType: 'AverageValue' },
    });
    const triggers = spec['triggers'] as Array<Record<string, unknown>>;
    expect(triggers.map((t) => [t['type'], t['name']])).toEqual([
      ['apache-pulsar', 'backlog'],
      ['prometheus', 'queued'],
    ]);
    expect(triggers[1]?.['metadata']).toEqual({
      serverAddress: 'http://prometheus-operated.monitoring.svc:9090',
      query: 'sum(beamline_inference_queued_rows{namespace="acme",service="beamline-eu-west"})',
      threshold: '250',
    });
  });

  it('takes a custom query, and refuses to render without a Prometheus address', async () => {
    const custom = await renderChart({
      values: [production, acmeSpec(), queueOn({ query: 'sum(beamline_inference_queued_rows{lane="normal"})' })],
      apiVersions: [KEDA_API],
      namespace: 'acme',
    });
    const t = (find(documents(custom), 'ScaledObject')[0]?.['spec'] as { triggers: Array<{ metadata: { query?: string } }> }).triggers[1];
    expect(t?.metadata.query).toBe('sum(beamline_inference_queued_rows{lane="normal"})');
    await expect(
      renderChart({ values: [production, acmeSpec(), queueOn({ serverAddress: '' })], apiVersions: [KEDA_API] }),
    ).rejects.toThrow(/inferenceQueue\.serverAddress: give the URL of the Prometheus/);
    await expect(
      renderChart({ values: [production, acmeSpec(), queueOn({ queuedRowsThreshold: 0 })], apiVersions: [KEDA_API] }),
    ).rejects.toThrow(/queuedRowsThreshold/);
  });
});

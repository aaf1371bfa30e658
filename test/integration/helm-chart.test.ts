/**
 * The Helm chart (helm/beamline) for regional operators: `helm lint` and `helm template` with the
 * chart's value sets, every rendered document validated against Kubernetes v1.37.2's API schemas
 * and KEDA's CRDs (scripts/k8s-validate, fed from their Go modules by scripts/dev/tools.sh) and by
 * kube-apiserver's own create-time validation (scripts/k8s-apiserver-validate), the
 * values schema rejecting typos, and the Dockerfile's contract with the chart.
 * Needs no broker; lives with the integration tests for the tool build's time.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CHART,
  CI_VALUES,
  KEDA_API,
  PROMETHEUS_API,
  documents,
  ensureHelmTools,
  find,
  helmTools,
  renderChart,
  tool,
  validateManifests,
  valuesFile,
  type K8sObject,
  type ValidationReport,
} from './helm-support.ts';

const minimal = `${CI_VALUES}/minimal-values.yaml`;
const production = `${CI_VALUES}/production-keda-values.yaml`;
const gpu = `${CI_VALUES}/gpu-values.yaml`;
const twoNamespaces = `${CI_VALUES}/two-namespaces-values.yaml`;
const bridge = `${CI_VALUES}/bridge-values.yaml`;
/** The production set's second file: the real acme-payments tenant spec for the tenant-apply hook. */
const acmeSpec = (): string => valuesFile({ tenantApply: { spec: parse(readFileSync('tenants/acme-payments.yaml', 'utf8')) } });

type Pod = {
  spec: {
    terminationGracePeriodSeconds: number;
    securityContext: Record<string, unknown>;
    containers: Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    volumes: Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    nodeSelector?: Record<string, string>;
    tolerations?: unknown[];
    topologySpreadConstraints?: unknown[];
  };
};
const podOf = (d: K8sObject): Pod => (d['spec'] as { template: Pod }).template;
const workerFileOf = (docs: K8sObject[], name: string): Record<string, unknown> =>
  parse((find(docs, 'ConfigMap', name)[0]?.['data'] as Record<string, string>)['worker.yaml'] ?? '') as Record<string, unknown>;

const BUILT_IN = new Set(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Job', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);

/** Both validators accept every document: the schemas check all, the API server's code the built-in kinds. */
async function expectValid(rendered: string): Promise<ValidationReport[]> {
  const docs = documents(rendered);
  const { schemas, apiServer } = await validateManifests(rendered);
  expect(schemas.out).not.toContain('"errors":["');
  expect(schemas.code).toBe(0);
  expect(schemas.reports).toHaveLength(docs.length);
  expect(schemas.reports.every((r) => (r.checks ?? []).length > 0)).toBe(true);
  expect(apiServer.out).not.toContain('"errors":["');
  expect(apiServer.code).toBe(0);
  expect(apiServer.reports.map((r) => r.kind).sort()).toEqual(
    docs
      .filter((d) => BUILT_IN.has(d.kind))
      .map((d) => d.kind)
      .sort(),
  );
  return schemas.reports;
}

beforeAll(async () => {
  await ensureHelmTools(); // builds helm and k8s-validate on a fresh machine (minutes); instant when cached
}, 45 * 60_000);

describe('helm lint', () => {
  it.each([
    ['minimal', [minimal]],
    ['production with KEDA', [production, 'SPEC']],
    ['GPU', [gpu]],
    ['two namespaces', [twoNamespaces]],
    ['Pub/Sub bridges', [bridge]],
  ])('passes --strict with the %s values', async (_name, files) => {
    const values = files.map((f) => (f === 'SPEC' ? acmeSpec() : f));
    const r = await tool(helmTools().HELM, ['lint', CHART, '--strict', ...values.flatMap((v) => ['--values', v])]);
    expect(r.out).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.code).toBe(0);
  });

  it('fails on a misspelt values key, naming it', async () => {
    const typo = valuesFile({ worker: { drainDeadlineSecnds: 10 } });
    const r = await tool(helmTools().HELM, ['lint', CHART, '--values', minimal, '--values', typo]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('drainDeadlineSecnds');
    expect(r.out).toMatch(/additional propert/i);
  });

  it('fails on a wrong type and on a replica minimum above its maximum, naming the key; scales past one replica (#17)', async () => {
    const wrongType = await tool(helmTools().HELM, [
      'lint',
      CHART,
      '--values',
      minimal,
      '--values',
      valuesFile({ worker: { httpPort: 'ninety' } }),
    ]);
    expect(wrongType.code).not.toBe(0);
    expect(wrongType.out).toContain('httpPort');
    // helm lint reports a template's fail() only as information: render to see it refuse.
    const inverted = await tool(helmTools().HELM, [
      'template',
      'beamline',
      CHART,
      '--values',
      minimal,
      '--values',
      valuesFile({ autoscaling: { keda: { minReplicaCount: 5, maxReplicaCount: 4 } } }),
    ]);
    expect(inverted.code).not.toBe(0);
    expect(inverted.out).toContain('autoscaling.keda.minReplicaCount is 5, above autoscaling.keda.maxReplicaCount 4');
    // Replicas own partitions now: more than one per namespace is a normal configuration.
    const scaleOut = await tool(helmTools().HELM, [
      'lint',
      CHART,
      '--values',
      minimal,
      '--values',
      valuesFile({ replicaCount: 3, autoscaling: { keda: { maxReplicaCount: 6 }, hpa: { maxReplicas: 6 } } }),
    ]);
    expect(scaleOut.out).not.toMatch(/error/i);
    expect(scaleOut.code).toBe(0);
  });
});

describe('helm template, validated against Kubernetes 1.37.2 and KEDA 2.20.2 schemas', () => {
  it('minimal: a restricted worker with probes, drain, PDB, spread and the CPU HPA fallback', async () => {
    const rendered = await renderChart({ values: [minimal] });
    const docs = documents(rendered);
    await expectValid(rendered);

    expect(docs.map((d) => d.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    const deployment = find(docs, 'Deployment', 'beamline-eu-west')[0]!;
    const pod = podOf(deployment);
    const worker = pod.spec.containers[0]!;
    const file = workerFileOf(docs, 'beamline-eu-west');
    expect(file).toMatchObject({ handler: 'builtin-scoring', httpHost: '0.0.0.0', httpPort: 9464, drainDeadlineMs: 30_000 });
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan((file['drainDeadlineMs'] as number) / 1000);
    // #17: partitions hand over pod by pod; a new pod is up before an old one drains.
    expect(deployment['spec']).toMatchObject({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
    expect(worker['readinessProbe'].httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
    expect(worker['livenessProbe'].httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(worker['lifecycle'].preStop.exec.command.join(' ')).toContain('kill -TERM 1');
    expect(worker['securityContext']).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(worker['volumeMounts']).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.spec.volumes.find((x) => x['name'] === 'tmp')?.['emptyDir']).toBeDefined();
    expect(pod.spec.topologySpreadConstraints).toHaveLength(1);
    expect(worker['resources'].requests).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(find(docs, 'HorizontalPodAutoscaler')[0]?.['spec']).toMatchObject({ minReplicas: 1, maxReplicas: 1 });
    expect(find(docs, 'PodDisruptionBudget')[0]?.['spec']).toMatchObject({ maxUnavailable: 1 });
  });

  it('production with KEDA: ScaledObject + TriggerAuthentication on the worker subscription, ServiceMonitor, tenant-apply hook', async () => {
    const rendered = await renderChart({ values: [production, acmeSpec()], apiVersions: [KEDA_API, PROMETHEUS_API], namespace: 'acme' });
    const docs = documents(rendered);
    const reports = await expectValid(rendered);
    expect(reports.find((r) => r.kind === 'ScaledObject')?.checks).toEqual(['crd-schema', 'crd-unknown-fields', 'keda-pulsar-metadata']);

    expect(find(docs, 'HorizontalPodAutoscaler')).toEqual([]);
    const so = find(docs, 'ScaledObject', 'beamline-eu-west')[0]!;
    expect(so['spec']).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: 'beamline-eu-west' },
      minReplicaCount: 0,
      maxReplicaCount: 1,
      triggers: [
        {
          type: 'apache-pulsar',
          metadata: {
            adminURL: 'https://pulsar-proxy.pulsar.svc.cluster.local:8443',
            topic: 'persistent://acme-payments/eu-west/events',
            subscription: 'beamline-worker',
            msgBacklogThreshold: '5000',
            activationMsgBacklogThreshold: '10',
            isPartitionedTopic: 'true',
            authModes: 'bearer',
          },
          authenticationRef: { name: 'beamline-eu-west' },
        },
      ],
    });
    expect(find(docs, 'TriggerAuthentication', 'beamline-eu-west')[0]?.['spec']).toEqual({
      secretTargetRef: [{ parameter: 'bearerToken', name: 'acme-payments-worker-token', key: 'token' }],
    });
    expect(find(docs, 'ServiceMonitor', 'beamline-eu-west')[0]?.['spec']).toMatchObject({
      endpoints: [{ port: 'http-metrics', path: '/metrics', interval: '15s' }],
    });

    // Secrets only by reference: the token and the PII key never appear in a ConfigMap or env value.
    const worker = podOf(find(docs, 'Deployment', 'beamline-eu-west')[0]!).spec.containers[0]!;
    expect(worker['image']).toMatch(/@sha256:[0-9a-f]{64}$/);
    const env = worker['env'] as Array<{ name: string; value?: string; valueFrom?: unknown }>;
    expect(env.find((e) => e.name === 'PULSAR_TOKEN')).toEqual({
      name: 'PULSAR_TOKEN',
      valueFrom: { secretKeyRef: { name: 'acme-payments-worker-token', key: 'token' } },
    });
    expect(env.find((e) => e.name === 'BEAMLINE_PII_KEY')).toEqual({
      name: 'BEAMLINE_PII_KEY',
      valueFrom: { secretKeyRef: { name: 'acme-payments-pii', key: 'pii-key' } },
    });
    expect(workerFileOf(docs, 'beamline-eu-west')).toMatchObject({ registry: { name: 'fraud' }, drainDeadlineMs: 45_000 });
    expect(podOf(find(docs, 'Deployment', 'beamline-eu-west')[0]!).spec.terminationGracePeriodSeconds).toBe(60);

    // The hook: the spec ConfigMap first, then `beamline tenant apply` with the admin token.
    const hookCm = find(docs, 'ConfigMap', 'beamline-tenant-apply')[0]!;
    const job = find(docs, 'Job', 'beamline-tenant-apply')[0]!;
    expect(hookCm.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '-10' });
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '0' });
    expect(parse((hookCm['data'] as Record<string, string>)['tenant.yaml']!)).toEqual(
      parse(readFileSync('tenants/acme-payments.yaml', 'utf8')),
    );
    const jobContainer = podOf(job).spec.containers[0]!;
    expect([...jobContainer['command'], ...jobContainer['args']]).toEqual([
      'node',
      '/app/bin/beamline.js',
      'tenant',
      'apply',
      '/etc/beamline/tenant.yaml',
    ]);
    expect(jobContainer['env']).toContainEqual({
      name: 'PULSAR_TOKEN',
      valueFrom: { secretKeyRef: { name: 'acme-payments-admin-token', key: 'token' } },
    });
    for (const cm of find(docs, 'ConfigMap')) expect(JSON.stringify(cm)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);

    // NOTES.txt (install --dry-run=client takes no --api-versions: its pretend cluster has no KEDA).
    const notes = await tool(helmTools().HELM, [
      'install',
      'beamline',
      CHART,
      '--dry-run=client',
      '--namespace',
      'acme',
      '--values',
      production,
      '--values',
      acmeSpec(),
    ]);
    expect(notes.out).toContain('rollout status deployment/beamline-eu-west');
    expect(notes.out).toContain('install KEDA >= 2.18 to scale on backlog');
    expect(notes.out).toContain('share its events partitions');
    expect(notes.code).toBe(0);
  });

  it('production without KEDA installed falls back to the CPU HPA and renders no ServiceMonitor', async () => {
    const docs = documents(await renderChart({ values: [production, acmeSpec()] }));
    expect(find(docs, 'ScaledObject')).toEqual([]);
    expect(find(docs, 'TriggerAuthentication')).toEqual([]);
    expect(find(docs, 'ServiceMonitor')).toEqual([]);
    expect(find(docs, 'HorizontalPodAutoscaler', 'beamline-eu-west')[0]?.['spec']).toMatchObject({
      maxReplicas: 1,
      metrics: [{ type: 'Resource', resource: { name: 'cpu' } }],
    });
  });

  it('GPU: nvidia.com/gpu limit, node selector, tolerations, and the worker file asks for the GPU host check', async () => {
    const rendered = await renderChart({ values: [gpu], apiVersions: [KEDA_API] });
    await expectValid(rendered);
    const docs = documents(rendered);
    const pod = podOf(find(docs, 'Deployment', 'beamline-us-east')[0]!);
    expect(pod.spec.containers[0]!['resources'].limits).toEqual({ memory: '1Gi', 'nvidia.com/gpu': 1 });
    expect(pod.spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(workerFileOf(docs, 'beamline-us-east')).toMatchObject({ gpu: true, registry: { name: 'fraud' } });
  });

  it('the priority topic (#26) reaches the worker file; a name that is not a topic name is refused, naming the key', async () => {
    const lane = valuesFile({ worker: { file: { priorityTopic: 'events-priority' } } });
    const rendered = await renderChart({ values: [minimal, lane] });
    await expectValid(rendered);
    expect(workerFileOf(documents(rendered), 'beamline-eu-west')).toMatchObject({ priorityTopic: 'events-priority' });
    const bad = await tool(helmTools().HELM, [
      'lint',
      CHART,
      '--values',
      minimal,
      '--values',
      valuesFile({ worker: { file: { priorityTopic: 'a/b' } } }),
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('priorityTopic');
  });

  it('two namespaces: one worker each, with its own file, selector and resources', async () => {
    const rendered = await renderChart({ values: [twoNamespaces], release: 'acme', namespace: 'payments' });
    await expectValid(rendered);
    const docs = documents(rendered);
    expect(find(docs, 'Deployment').map((d) => d.metadata.name)).toEqual(['acme-beamline-us-east', 'acme-beamline-eu-west']);
    const selectors = find(docs, 'Deployment').map((d) => JSON.stringify((d['spec'] as { selector: unknown }).selector));
    expect(new Set(selectors).size).toBe(2);
    expect(workerFileOf(docs, 'acme-beamline-eu-west')).toMatchObject({ batchMaxRecords: 500, batchMaxWaitMs: 50 });
    expect(workerFileOf(docs, 'acme-beamline-us-east')['batchMaxRecords']).toBeUndefined();
    const eu = podOf(find(docs, 'Deployment', 'acme-beamline-eu-west')[0]!).spec.containers[0]!;
    expect(eu['args']).toEqual(['--tenant', 'acme-payments', '--namespace', 'eu-west', '--config', '/etc/beamline/worker.yaml']);
    expect(eu['resources']).toEqual({ requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } });
    expect(find(docs, 'PodDisruptionBudget')).toHaveLength(2);
  });

  it('Pub/Sub bridges (#24): one restricted Deployment per source and sink running `beamline bridge`, probes on 9465, secrets by reference', async () => {
    const rendered = await renderChart({ values: [bridge], namespace: 'acme' });
    await expectValid(rendered);
    const docs = documents(rendered);
    expect(
      find(docs, 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['beamline-bridge-sink-decisions', 'beamline-bridge-source-cards', 'beamline-eu-west']);
    const container = (name: string): Record<string, any> => podOf(find(docs, 'Deployment', name)[0]!).spec.containers[0]!; // eslint-disable-line @typescript-eslint/no-explicit-any
    const source = container('beamline-bridge-source-cards');
    const sink = container('beamline-bridge-sink-decisions');
    const dockerEntrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1] ?? 'null') as string[];
    expect(source['command']).toEqual([...dockerEntrypoint.slice(0, -1), 'bridge']);
    expect(source['args']).toEqual([
      'pubsub-source',
      '--subscription',
      'projects/acme/subscriptions/cards',
      '--to',
      'acme-payments/eu-west/events',
      '--max-messages',
      '2000',
      '--streams',
      '8',
      '--http-port',
      '9465',
    ]);
    expect(sink['args']).toEqual([
      'pubsub-sink',
      '--from',
      'acme-payments/eu-west/predictions',
      '--topic',
      'projects/acme/topics/decisions',
      '--max-in-flight',
      '500',
      '--http-port',
      '9465',
    ]);
    for (const c of [source, sink]) {
      expect(c['ports']).toEqual([{ name: 'http-metrics', containerPort: 9465, protocol: 'TCP' }]);
      expect(c['readinessProbe'].httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
      expect(c['livenessProbe'].httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
      expect(c['securityContext']).toEqual({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ['ALL'] },
      });
      const env = c['env'] as Array<{ name: string; value?: string; valueFrom?: unknown }>;
      expect(env.find((e) => e.name === 'PULSAR_TOKEN')).toEqual({
        name: 'PULSAR_TOKEN',
        valueFrom: { secretKeyRef: { name: 'acme-payments-worker-token', key: 'token' } },
      });
      expect(env.find((e) => e.name === 'GOOGLE_APPLICATION_CREDENTIALS')).toEqual({
        name: 'GOOGLE_APPLICATION_CREDENTIALS',
        value: '/var/secrets/google/key.json',
      });
      expect(c['volumeMounts']).toContainEqual({ name: 'google-credentials', mountPath: '/var/secrets/google', readOnly: true });
    }
    for (const name of ['beamline-bridge-source-cards', 'beamline-bridge-sink-decisions']) {
      const d = find(docs, 'Deployment', name)[0]!;
      expect(d['spec']).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
      expect(podOf(d).spec.volumes.find((v) => v['name'] === 'google-credentials')?.['secret']).toEqual({
        secretName: 'acme-pubsub-sa',
        items: [{ key: 'key.json', path: 'key.json' }],
      });
    }
    // The worker's selector does not pick up the bridge pods (nor the reverse).
    const selector = (d: K8sObject): Record<string, string> =>
      (d['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    const labelsOf = (d: K8sObject): Record<string, string> =>
      (d['spec'] as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    const deployments = find(docs, 'Deployment');
    for (const a of deployments) {
      for (const b of deployments) {
        const matches = Object.entries(selector(a)).every(([k, v]) => labelsOf(b)[k] === v);
        expect([a.metadata.name, b.metadata.name, matches]).toEqual([a.metadata.name, b.metadata.name, a === b]);
      }
    }
    // Nothing bridged by default; a bad Pub/Sub name fails the values schema, naming the key.
    expect(find(documents(await renderChart({ values: [minimal] })), 'Deployment').map((d) => d.metadata.name)).toEqual([
      'beamline-eu-west',
    ]);
    const bad = await tool(helmTools().HELM, [
      'lint',
      CHART,
      '--values',
      bridge,
      '--values',
      valuesFile({ bridge: { sinks: [{ name: 'x', from: 'acme-payments/eu-west/predictions', topic: 'decisions' }] } }),
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('topic');
    // The sink's ledger (exactly once, #24): named, or turned off.
    const ledgers = documents(
      await renderChart({
        values: [
          bridge,
          valuesFile({
            bridge: {
              sinks: [
                {
                  name: 'named',
                  from: 'acme-payments/eu-west/predictions',
                  topic: 'projects/acme/topics/d',
                  ledgerSubscription: 'd-ledger',
                },
                { name: 'nol', from: 'acme-payments/eu-west/actions', topic: 'projects/acme/topics/a', ledger: false },
              ],
            },
          }),
        ],
      }),
    );
    const argsOf = (name: string): string[] =>
      (
        find(ledgers, 'Deployment').find((d) => d.metadata.name === name) as unknown as {
          spec: { template: { spec: { containers: { args: string[] }[] } } };
        }
      ).spec.template.spec.containers[0]!.args;
    expect(argsOf('beamline-bridge-sink-named')).toEqual(expect.arrayContaining(['--ledger-subscription', 'd-ledger']));
    expect(argsOf('beamline-bridge-sink-named')).not.toContain('--no-ledger');
    expect(argsOf('beamline-bridge-sink-nol')).toContain('--no-ledger');
  });

  it('tenant keys (#21): keysSecret is mounted read-only into workers and bridges as BEAMLINE_KEYS_FILE; with piiKeySecret too the render fails', async () => {
    const rendered = await renderChart({ values: [bridge, valuesFile({ keysSecret: { name: 'acme-keys' } })], namespace: 'acme' });
    await expectValid(rendered);
    const docs = documents(rendered);
    const deployments = find(docs, 'Deployment');
    expect(deployments).toHaveLength(3);
    for (const d of deployments) {
      const pod = podOf(d) as unknown as {
        spec: {
          containers: Array<{
            env: Array<{ name: string; value?: string }>;
            volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
          }>;
          volumes: Array<{ name: string; secret?: { secretName: string; defaultMode?: number } }>;
        };
      };
      const c = pod.spec.containers[0]!;
      expect(c.env.find((e) => e.name === 'BEAMLINE_KEYS_FILE')?.value, d.metadata.name).toBe('/etc/beamline-keys');
      expect(c.env.some((e) => e.name === 'BEAMLINE_PII_KEY')).toBe(false);
      expect(c.volumeMounts).toContainEqual({ name: 'tenant-keys', mountPath: '/etc/beamline-keys', readOnly: true });
      expect(pod.spec.volumes).toContainEqual({ name: 'tenant-keys', secret: { secretName: 'acme-keys', defaultMode: 0o400 } });
    }
    const both = await tool(helmTools().HELM, [
      'template',
      'beamline',
      CHART,
      '--values',
      minimal,
      '--values',
      valuesFile({ keysSecret: { name: 'acme-keys' }, piiKeySecret: { name: 'acme-pii', key: 'pii-key' } }),
    ]);
    expect(both.code).not.toBe(0);
    expect(both.out).toContain('keysSecret.name (acme-keys) and piiKeySecret.name (acme-pii) are both set');
  });

  it('the validator rejects what an API server would: unknown fields, broken references, bad KEDA metadata', async () => {
    const rendered = await renderChart({ values: [production, acmeSpec()], apiVersions: [KEDA_API] });
    const broken = rendered
      .replace('revisionHistoryLimit: 5', 'revisionHistoryLimit: 5\n  replicasMax: 3')
      .replace('mountPath: /tmp', 'mountPath: tmp')
      .replace('minReplicaCount: 0', 'minReplicaCount: 0\n  maxReplicaCont: 1')
      .replace('isPartitionedTopic:', 'partitioned:')
      .replace('parameter: bearerToken', 'parameter: bearerToken\n      optional: true')
      .replace('containerPort: 9464', 'containerPort: 99999');
    const { schemas: v, apiServer } = await validateManifests(broken);
    expect(v.code).toBe(1);
    expect(apiServer.code).toBe(1);
    expect(apiServer.reports.find((r) => r.kind === 'Deployment')?.errors).toContain(
      'spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 99999: must be between 1 and 65535, inclusive',
    );
    const errors = (kind: string): string =>
      v.reports
        .filter((r) => r.kind === kind)
        .flatMap((r) => r.errors ?? [])
        .join('\n');
    expect(errors('Deployment')).toContain('replicasMax');
    expect(errors('Deployment')).toContain('mountPath');
    expect(errors('ScaledObject')).toContain('maxReplicaCont');
    expect(errors('ScaledObject')).toContain('metadata.partitioned');
    expect(errors('TriggerAuthentication')).toContain('optional');
  });
});

describe('Dockerfile (no container engine here: its contract with the chart is checked)', () => {
  it('builds a Node 24 slim, non-root image of production dependencies whose entrypoint the chart runs', async () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const values = parse(readFileSync(`${CHART}/values.yaml`, 'utf8')) as {
      worker: { runAsUser: number; runAsGroup: number; httpPort: number };
    };
    expect(dockerfile).toMatch(/^FROM node:24-slim$/m);
    expect(dockerfile).toMatch(/^WORKDIR \/app$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toContain(`USER ${values.worker.runAsUser}:${values.worker.runAsGroup}`);
    expect(dockerfile).toContain(`EXPOSE ${values.worker.httpPort}`);
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? 'null') as string[];
    const docs = documents(await renderChart({ values: [minimal] }));
    expect(podOf(find(docs, 'Deployment')[0]!).spec.containers[0]!['command']).toEqual(entrypoint);
    // Every directory the worker imports from at run time is copied; dev-only ones are not.
    for (const dir of ['bin', 'functions', 'tenants', 'cli', 'models', 'review', 'sinks', 'bridge'])
      expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
    for (const p of ['node_modules', '.git', 'test', 'helm', '.beamline']) expect(ignored).toContain(p);
  });
});

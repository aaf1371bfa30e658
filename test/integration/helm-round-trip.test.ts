/**
 * The chart's pod, run for real: render helm/beamline for acme-payments, then run exactly the
 * rendered containers (command, args, environment, the ConfigMap files at their mount paths,
 * Secrets by name) against the test broker, with /app mapped to this checkout:
 *   1. the tenant-apply hook Job, twice (idempotent);
 *   2. the worker: it starts, /readyz turns ready, and an event produced to its input is decided;
 *   3. KEDA's view: the backlog the ScaledObject's adminURL/topic/subscription returns equals the
 *      subscription's real backlog (summed over partitions), grows while the worker is stopped,
 *      and falls to 0 once it runs again;
 *   4. (#24) the Pub/Sub bridge Deployments, against Google's pstest: the sink carries a
 *      prediction out to a Pub/Sub topic, the source a Pub/Sub message into the events topic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREDICTION_SCHEMA, PulsarAdmin, avroSchema, createClient, type PulsarClient } from '../../functions/control-plane.ts';
import { compileTenantSpec } from '../../tenants/definition/index.ts';
import { pulsarEnv } from '../support/pulsar-env.ts';
import { PROJECT, startFake, stopFake, type Fake } from './bridge-support.ts';
import { KEDA_API, documents, ensureHelmTools, find, renderChart, valuesFile, type K8sObject } from './helm-support.ts';

const env = pulsarEnv();
const admin = new PulsarAdmin({ url: env.adminUrl, ...(env.token === undefined ? {} : { token: env.token }) });
const TENANT = 'acme-payments';
// Not `central`: the demo test runs its own worker there on the same subscription.
const NAMESPACE = 'eu-west';
const HTTP_PORT = 19420; // this issue's (#20) corner of the port space; 9464 may be any worker's
const BRIDGE_HTTP_PORT = 19427; // #24's bridges, one at a time (each pod has its own address in a cluster)
const repo = resolve('.');
const acme = parse(readFileSync('tenants/acme-payments.yaml', 'utf8')) as Record<string, unknown>;

/** Secret values by Secret name and key, as the cluster would hold them. */
const secrets: Record<string, Record<string, string>> = {
  'acme-payments-pii': { 'pii-key': randomBytes(32).toString('base64') },
  ...(env.token === undefined ? {} : { 'acme-payments-worker-token': { token: env.token } }),
};

interface Container {
  name: string;
  command: string[];
  args: string[];
  env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  ports?: Array<{ name: string; containerPort: number }>;
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  volumeMounts: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  volumes: Array<{ name: string; configMap?: { name: string }; emptyDir?: unknown }>;
}

interface RunningPod {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

/**
 * Starts one rendered container as a process: `node` is this Node, /app is this checkout, each
 * volume mount is a temporary directory holding the ConfigMap's files (or empty, for emptyDir),
 * and env comes from values and Secrets. Nothing else is added but PATH.
 */
function runContainer(docs: K8sObject[], pod: PodSpec, name: string): RunningPod {
  const c = pod.containers.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no container ${name}`);
  const mounts = new Map<string, string>();
  for (const m of c.volumeMounts) {
    const dir = mkdtempSync(join(tmpdir(), `beamline-pod-${m.name}-`));
    const volume = pod.volumes.find((v) => v.name === m.name);
    if (volume?.configMap !== undefined) {
      const cm = find(docs, 'ConfigMap', volume.configMap.name)[0];
      if (cm === undefined) throw new Error(`ConfigMap ${volume.configMap.name} is not rendered`);
      for (const [file, text] of Object.entries(cm['data'] as Record<string, string>)) writeFileSync(join(dir, file), text);
    } else mkdirSync(dir, { recursive: true });
    mounts.set(m.mountPath, dir);
  }
  const host = (arg: string): string => {
    if (arg.startsWith('/app/')) return join(repo, arg.slice('/app/'.length));
    for (const [mountPath, dir] of mounts)
      if (arg === mountPath || arg.startsWith(`${mountPath}/`)) return dir + arg.slice(mountPath.length);
    return arg;
  };
  const processEnv: Record<string, string> = { PATH: process.env['PATH'] ?? '' };
  for (const e of c.env) {
    const ref = e.valueFrom?.secretKeyRef;
    const value = ref === undefined ? e.value : secrets[ref.name]?.[ref.key];
    if (value === undefined) throw new Error(`env ${e.name}: Secret ${ref?.name}/${ref?.key} is not provided by this test`);
    processEnv[e.name] = host(value);
  }
  const [cmd, ...rest] = [...c.command, ...c.args];
  expect(cmd).toBe('node');
  const child = spawn(process.execPath, rest.map(host), { cwd: repo, env: processEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const collect = (chunk: Buffer): void =>
    void lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== ''),
    );
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, lines, exited };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, pod?: RunningPod): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (pod !== undefined && pod.child.exitCode !== null)
      throw new Error(`${what}: the worker exited (${pod.child.exitCode}):\n${pod.lines.slice(-30).join('\n')}`);
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let docs: K8sObject[];
let client: PulsarClient;
const pods: RunningPod[] = [];

beforeAll(async () => {
  await ensureHelmTools();
  const values = valuesFile({
    tenant: TENANT,
    namespaces: [{ name: NAMESPACE }],
    pulsar: {
      serviceUrl: env.serviceUrl,
      adminUrl: env.adminUrl,
      tokenSecret: { name: env.token === undefined ? '' : 'acme-payments-worker-token', key: 'token' },
    },
    piiKeySecret: { name: 'acme-payments-pii', key: 'pii-key' },
    worker: {
      httpPort: HTTP_PORT,
      drainDeadlineSeconds: 10,
      file: {
        handler: 'builtin-scoring',
        guarantee: 'effectively-once',
        scoring: {
          idField: 'eventId',
          features: [
            { name: 'amount', field: 'amount', log: true },
            { name: 'count_10m', window: { lookbackMs: 600_000, aggregate: 'count' } },
          ],
          policy: { reviewAtScore: 0.5, blockAtScore: 0.9, version: 'helm-round-trip-1' },
        },
      },
    },
    autoscaling: { keda: { enabled: true, msgBacklogThreshold: 100 } },
    tenantApply: { enabled: true, spec: acme, localCluster: env.cluster },
  });
  docs = documents(await renderChart({ values: [values], apiVersions: [KEDA_API], namespace: 'acme' }));
  client = createClient({
    serviceUrl: env.serviceUrl,
    ...(env.token === undefined ? {} : { token: env.token }),
    operationTimeoutMs: 15_000,
  });
}, 45 * 60_000);

afterAll(async () => {
  for (const p of pods) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await client?.close();
});

const podSpec = (kind: string, name: string): PodSpec => {
  const d = find(docs, kind, name)[0];
  if (d === undefined) throw new Error(`${kind}/${name} is not rendered`);
  return (d['spec'] as { template: { spec: PodSpec } }).template.spec;
};

/** What KEDA's apache-pulsar scaler reads: GET {adminURL}/admin/v2/persistent/{topic}/(partitioned-)stats, subscriptions[sub].msgBacklog. */
async function kedaView(): Promise<{ found: boolean; msgBacklog: number }> {
  const so = find(docs, 'ScaledObject', `beamline-${NAMESPACE}`)[0];
  const m = (so?.['spec'] as { triggers: Array<{ type: string; metadata: Record<string, string> }> }).triggers[0]!.metadata;
  const url = `${m['adminURL']}/admin/v2/persistent/${m['topic']!.replace('persistent://', '')}/${m['isPartitionedTopic'] === 'true' ? 'partitioned-stats' : 'stats'}`;
  const res = await fetch(url, env.token === undefined ? {} : { headers: { authorization: `Bearer ${env.token}` } });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  const stats = (await res.json()) as { subscriptions?: Record<string, { msgBacklog: number }> };
  const sub = stats.subscriptions?.[m['subscription']!];
  return { found: sub !== undefined, msgBacklog: sub?.msgBacklog ?? 0 };
}

/** The subscription's real backlog: each partition's own stats, summed. */
async function realBacklog(): Promise<number> {
  const topic = `persistent://${TENANT}/${NAMESPACE}/events`;
  const { partitions } = await admin.topics.getPartitionedMetadata(topic);
  let total = 0;
  for (let i = 0; i < partitions; i++)
    total += (await admin.topics.getStats(`${topic}-partition-${i}`)).subscriptions?.['beamline-worker']?.msgBacklog ?? 0;
  return total;
}

describe('the chart, run against the test broker', () => {
  it('the tenant-apply hook Job runs as rendered and is idempotent', { timeout: 240_000 }, async () => {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const job = runContainer(docs, podSpec('Job', 'beamline-tenant-apply'), 'tenant-apply');
      pods.push(job);
      const code = await job.exited;
      expect(code, job.lines.join('\n')).toBe(0);
      if (attempt === 2) expect(job.lines.join('\n')).toContain('nothing to do');
    }
  });

  it(
    'the worker starts, becomes ready, decides; KEDA sees the real backlog grow while it is stopped and drain after',
    { timeout: 420_000 },
    async () => {
      const spec = compileTenantSpec(acme, { localCluster: env.cluster, baseDir: 'tenants' });
      const eventsSchema = spec.namespaces.find((n) => n.name === `${TENANT}/${NAMESPACE}`)?.topics.find((t) => t.kind === 'events')
        ?.schema?.data;
      if (eventsSchema === undefined) throw new Error('acme-payments has no events schema');
      const events = avroSchema<Record<string, unknown>>(eventsSchema);
      const producer = await client.createProducer({ topic: `persistent://${TENANT}/${NAMESPACE}/events`, schema: events });
      const predictionSchema = avroSchema<{ eventId: string; decision: string; policyVersion: string }>(PREDICTION_SCHEMA);
      const decided = new Map<string, string>();
      const predictions = await client.subscribe({
        topic: `persistent://${TENANT}/${NAMESPACE}/predictions`,
        subscription: `helm-round-trip-${randomUUID()}`,
        initialPosition: 'Latest',
        subscriptionType: 'Exclusive',
      });
      const reading = (async () => {
        for await (const m of predictions) {
          const p = predictionSchema.decode(m.payload);
          if (p.policyVersion === 'helm-round-trip-1') decided.set(p.eventId, p.decision);
          predictions.ack(m);
        }
      })();
      const send = async (n: number): Promise<string[]> => {
        const ids: string[] = [];
        for (let i = 0; i < n; i++) {
          const eventId = `helm-${randomUUID()}`;
          ids.push(eventId);
          const cardId = `card-${i % 5}`;
          const timestamp = Date.now();
          await producer.send({
            key: cardId,
            eventTimeMs: timestamp,
            payload: events.encode({
              eventId,
              cardId,
              cardNumber: '411111******1111',
              holderName: 'Test Holder',
              amount: 12.5 + i,
              currency: 'EUR',
              merchantId: 'm-1',
              merchantCategory: '5411',
              lat: null,
              lon: null,
              channel: 'ECOM',
              timestamp,
            }),
          });
        }
        return ids;
      };

      const pod = podSpec('Deployment', `beamline-${NAMESPACE}`);
      const worker = pod.containers[0]!;
      const portOf = (p: string | number): number => (typeof p === 'number' ? p : worker.ports!.find((x) => x.name === p)!.containerPort);
      const probe = (h: { path: string; port: string | number }) => async (): Promise<true | undefined> =>
        (await fetch(`http://127.0.0.1:${portOf(h.port)}${h.path}`)).status === 200 ? true : undefined;
      const startWorkerPod = async (): Promise<RunningPod> => {
        const p = runContainer(docs, pod, 'worker');
        pods.push(p);
        await until('/readyz to turn ready', 120_000, probe(worker.readinessProbe!.httpGet), p);
        expect(await probe(worker.livenessProbe!.httpGet)()).toBe(true);
        // The kubelet probes the pod's address, not loopback: the worker must listen on all
        // addresses (127.0.0.2 reaches a 0.0.0.0 listener, never a 127.0.0.1 one).
        expect(
          (await fetch(`http://127.0.0.2:${portOf(worker.readinessProbe!.httpGet.port)}${worker.readinessProbe!.httpGet.path}`)).status,
        ).toBe(200);
        return p;
      };
      // What the preStop hook and the kubelet do: SIGTERM, then the grace period.
      const stopWorkerPod = async (p: RunningPod): Promise<void> => {
        p.child.kill('SIGTERM');
        const code = await Promise.race([
          p.exited,
          new Promise<'late'>((r) => setTimeout(() => r('late'), (pod.terminationGracePeriodSeconds ?? 30) * 1000)),
        ]);
        expect(code, p.lines.slice(-20).join('\n')).toBe(0);
      };

      // 0. KEDA's known trap: before the worker's first start there is no subscription, and the
      // scaler errors ("have not subscription found!"); the ScaledObject's fallback holds then.
      const auth = env.token === undefined ? {} : { authorization: `Bearer ${env.token}` };
      const del = await fetch(`${env.adminUrl}/admin/v2/persistent/${TENANT}/${NAMESPACE}/events/subscription/beamline-worker?force=true`, {
        method: 'DELETE',
        headers: auth,
      });
      expect([204, 404], await del.text()).toContain(del.status);
      expect(await kedaView()).toEqual({ found: false, msgBacklog: 0 });

      // 1. Start (the worker creates the subscription), ready, decide.
      let running = await startWorkerPod();
      const started = running.lines.find((l) => l.includes('"worker started"'));
      expect(started).toBeDefined();
      expect(JSON.parse(started!)).toMatchObject({ tenant: TENANT, namespace: NAMESPACE, httpPort: HTTP_PORT, piiFields: 2 });
      const [first] = await send(1);
      await until('a prediction for the first event', 90_000, async () => (decided.has(first!) ? true : undefined), running);
      expect(['approve', 'review', 'block']).toContain(decided.get(first!));
      await until('the backlog to drain after the first event', 60_000, async () =>
        (await kedaView()).msgBacklog === 0 ? true : undefined,
      );

      // 2. Stopped (drained by SIGTERM, exit 0): the backlog KEDA reads grows by exactly what was sent.
      await stopWorkerPod(running);
      const before = await kedaView();
      expect(before).toEqual({ found: true, msgBacklog: 0 });
      const ids = await send(25);
      const grown = await until('KEDA to see 25 messages of backlog', 30_000, async () => {
        const v = await kedaView();
        return v.msgBacklog === 25 ? v : undefined;
      });
      expect(grown.msgBacklog).toBe(await realBacklog());
      expect(ids.some((id) => decided.has(id))).toBe(false);

      // 3. Running again: every event decided and both views back to 0.
      running = await startWorkerPod();
      await until('all 25 events decided', 120_000, async () => (ids.every((id) => decided.has(id)) ? true : undefined), running);
      await until('KEDA to see the backlog at 0', 60_000, async () => ((await kedaView()).msgBacklog === 0 ? true : undefined));
      expect(await realBacklog()).toBe(0);
      await stopWorkerPod(running);

      await producer.close();
      await predictions.close();
      await reading.catch(() => undefined);
    },
  );

  it(
    'the Pub/Sub bridge Deployments run as rendered (#24): the sink carries a prediction out, the source a Pub/Sub message in',
    { timeout: 300_000 },
    async () => {
      let fake: Fake | undefined;
      try {
        fake = await startFake();
        const [cards] = await fake.pubsub.createTopic('cards');
        await cards.createSubscription('cards-bridge', { enableMessageOrdering: true, ackDeadlineSeconds: 30 });
        const [decisions] = await fake.pubsub.createTopic('decisions');
        await decisions.createSubscription('decisions-check', { enableMessageOrdering: true });
        const values = valuesFile({
          tenant: TENANT,
          namespaces: [{ name: NAMESPACE }],
          pulsar: {
            serviceUrl: env.serviceUrl,
            adminUrl: env.adminUrl,
            tokenSecret: { name: env.token === undefined ? '' : 'acme-payments-worker-token', key: 'token' },
          },
          tenantApply: { enabled: false },
          bridge: {
            httpPort: BRIDGE_HTTP_PORT,
            // pstest stands in for Google; a real install mounts bridge.credentialsSecret instead.
            extraEnv: [{ name: 'PUBSUB_EMULATOR_HOST', value: fake.fake.host }],
            sources: [
              { name: 'cards', subscription: `projects/${PROJECT}/subscriptions/cards-bridge`, to: `${TENANT}/${NAMESPACE}/events` },
            ],
            sinks: [{ name: 'decisions', from: `${TENANT}/${NAMESPACE}/predictions`, topic: `projects/${PROJECT}/topics/decisions` }],
          },
        });
        const bridgeDocs = documents(await renderChart({ values: [values], namespace: 'acme' }));
        const pod = (name: string): PodSpec =>
          (find(bridgeDocs, 'Deployment', name)[0]?.['spec'] as { template: { spec: PodSpec } }).template.spec;
        const startBridgePod = async (name: string): Promise<RunningPod> => {
          const spec = pod(name);
          const p = runContainer(bridgeDocs, spec, 'bridge');
          pods.push(p);
          const c = spec.containers[0]!;
          const port = c.ports!.find((x) => x.name === c.readinessProbe!.httpGet.port)!.containerPort;
          await until(
            `${name} /readyz to turn ready`,
            120_000,
            async () => ((await fetch(`http://127.0.0.2:${port}${c.readinessProbe!.httpGet.path}`)).status === 200 ? true : undefined),
            p,
          );
          expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
          return p;
        };
        const stopBridgePod = async (p: RunningPod): Promise<void> => {
          p.child.kill('SIGTERM');
          expect(await p.exited, p.lines.slice(-20).join('\n')).toBe(0);
        };

        // Sink: a prediction produced to the namespace reaches the Pub/Sub topic as JSON, keyed.
        const eventId = `helm-bridge-${randomUUID()}`;
        const out: Array<{ data: Record<string, unknown>; orderingKey: string; attributes: Record<string, string> }> = [];
        const check = fake.pubsub.subscription('decisions-check');
        check.on('message', (m: { data: Buffer; orderingKey?: string; attributes: Record<string, string>; ack: () => void }) => {
          out.push({
            data: JSON.parse(m.data.toString('utf8')) as Record<string, unknown>,
            orderingKey: m.orderingKey ?? '',
            attributes: m.attributes,
          });
          m.ack();
        });
        const sink = await startBridgePod('beamline-bridge-sink-decisions');
        const predictionSchema = avroSchema(PREDICTION_SCHEMA);
        const predictions = await client.createProducer({
          topic: `persistent://${TENANT}/${NAMESPACE}/predictions`,
          schema: predictionSchema,
        });
        await predictions.send({
          key: 'card-7',
          payload: predictionSchema.encode({
            eventId,
            key: 'card-7',
            decision: 'review',
            score: 0.6,
            modelVersion: null,
            shadowScore: null,
            shadowModelVersion: null,
            policyVersion: 'helm-bridge',
            fallbackReason: null,
            features: null,
            traceId: 't',
            eventTime: Date.now(),
          }),
        });
        await predictions.close();
        const published = await until(
          'the prediction in Pub/Sub',
          90_000,
          async () => out.find((m) => m.data['eventId'] === eventId),
          sink,
        );
        expect(published).toMatchObject({ orderingKey: 'card-7', data: { decision: 'review', policyVersion: 'helm-bridge' } });
        expect(published.attributes['beamline.idempotency_key']).toMatch(new RegExp(`^persistent://${TENANT}/${NAMESPACE}/predictions`));
        await check.close();
        await stopBridgePod(sink);

        // Source: a Pub/Sub message reaches the events topic, Avro-encoded, keyed by its ordering key.
        const spec = compileTenantSpec(acme, { localCluster: env.cluster, baseDir: 'tenants' });
        const eventsSchema = avroSchema<Record<string, unknown>>(
          spec.namespaces.find((n) => n.name === `${TENANT}/${NAMESPACE}`)?.topics.find((t) => t.kind === 'events')?.schema?.data ?? '{}',
        );
        const events = await client.subscribe({
          topic: `persistent://${TENANT}/${NAMESPACE}/events`,
          subscription: `helm-bridge-${randomUUID()}`,
          initialPosition: 'Latest',
        });
        const source = await startBridgePod('beamline-bridge-source-cards');
        const inId = `helm-bridge-in-${randomUUID()}`;
        await fake.pubsub.topic('cards', { messageOrdering: true }).publishMessage({
          orderingKey: 'card-9',
          json: {
            eventId: inId,
            cardId: 'card-9',
            cardNumber: '411111******1111',
            holderName: 'Test Holder',
            amount: 42.5,
            currency: 'EUR',
            merchantId: 'm-1',
            merchantCategory: '5411',
            lat: null,
            lon: null,
            channel: 'ECOM',
            timestamp: Date.now(),
          },
        });
        const carried = await until(
          'the Pub/Sub message in the events topic',
          90_000,
          async () => {
            const m = await events.receive(1000).catch(() => undefined);
            if (m === undefined) return undefined;
            events.ack(m);
            const v = eventsSchema.decode(m.payload);
            return v['eventId'] === inId ? { m, v } : undefined;
          },
          source,
        );
        expect(carried.m.key).toBe('card-9');
        expect(carried.v).toMatchObject({ cardId: 'card-9', amount: 42.5 });
        expect(carried.m.properties['pubsub.message_id']).toBeDefined();
        await events.close();
        await stopBridgePod(source);
      } finally {
        await stopFake(fake);
      }
    },
  );
});

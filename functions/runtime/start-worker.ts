/**
 * Composition: everything a namespace worker needs, from a cluster address and a namespace.
 * Reads the namespace's governance (PII fields, set by `beamline tenant apply`) and the input
 * topic's schema from the cluster, then starts the worker and its HTTP endpoints.
 */
import { ConfigError } from '../errors.ts';
import { createPiiTokenizer, type PiiTokenizer } from '../governance/index.ts';
import { PulsarAdmin, SchemaRegistry, adminSchemaFetcher, createClient, type PulsarClient } from '../pulsar/index.ts';
import type { ModelArtifact, RemoteArtifact } from '../inference/index.ts';
import { createRootLogger, noopTracer, PrometheusMetrics, type Logger, type Metrics, type Tracer } from '../telemetry.ts';
import { OtlpTracer, type TracingOptions } from '../tracing/index.ts';
import { startHttpEndpoints, type HttpEndpoints } from './http-endpoints.ts';
import { Ingress, autoDecoder } from './ingress.ts';
import { createModelScorer, type ModelScorer } from './model-scorer.ts';
import { NamespaceWorker, type WorkerHandler } from './namespace-worker.ts';
import { outputSchemasFor } from './output-encoders.ts';
import { PulsarWorkerIo } from './pulsar-io.ts';
import { compileWorkerOptions, namespaceTopic, type WorkerOptions } from './worker-options.ts';
// #9: model rollouts from the namespace's registry.
import { startRegistryRouting, type RegistryRouting } from './registry/index.ts';

export interface StartWorkerOptions extends WorkerOptions {
  serviceUrl: string;
  adminUrl: string;
  /** The worker role's token (never logged). */
  token?: string;
  handler: WorkerHandler<unknown>;
  /** The model behind `ctx.score`. TODO(#9): loaded from the namespace's registry instead. */
  model?: { artifact: ModelArtifact | RemoteArtifact; version: string };
  /**
   * #9: score with the namespace's registry model of this name instead of `model`: live, canary
   * and shadow versions follow `beamline model promote|canary|shadow|rollback` with hot swaps.
   */
  registry?: { name: string };
  /**
   * Per-tenant secret for PII tokens (>= 32 bytes). Required when the namespace marks PII
   * fields; from $BEAMLINE_PII_KEY (base64) when not given.
   */
  piiKey?: Buffer;
  /**
   * #20: the pod was scheduled for a GPU (Helm `inference.gpu`): log the GPU host check (Vulkan
   * loader, ICD, device nodes) at start-up, as a warning naming what is missing. @default false
   */
  gpuCheck?: boolean;
  /**
   * #22: export spans over OTLP/HTTP to an OpenTelemetry Collector (off without it; see
   * TracingOptions: `endpoint` turns it on, `sampleRatio` samples new traces). @default off
   */
  tracing?: TracingOptions;
  /** #22: a tracer of the caller's instead of `tracing` (closed by the caller). @default from `tracing` */
  tracer?: Tracer;
  log?: Logger;
  metrics?: Metrics;
}

export interface RunningWorker {
  readonly worker: NamespaceWorker<unknown>;
  readonly http: HttpEndpoints | undefined;
  readonly metrics: Metrics;
  readonly modelBackend: string | undefined;
  /** Drains the worker, then closes the model, the client and the HTTP endpoints. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Client settings of the worker's connection. Reconnect and coordinator retries back off to at
 * most 1 s (the client default is 30 s), so decisions resume within about a second of a restarted
 * broker being ready again (#27).
 */
export const WORKER_CLIENT_OPTIONS = Object.freeze({ maxBackoffMs: 1_000 });

/** Namespace property listing the input topic's PII fields (written by `beamline tenant apply`). */
export function piiPropertyKey(topic: string): string {
  return `beamline.topic.${topic}.pii`;
}

export async function startWorker(o: StartWorkerOptions): Promise<RunningWorker> {
  const config = compileWorkerOptions(o);
  const log = (o.log ?? createRootLogger()).child({ component: 'worker', tenant: config.tenant, namespace: config.namespace });
  const metrics = o.metrics ?? new PrometheusMetrics();
  // #22: the tracer is ours to close only when we made it.
  const ownTracer = o.tracer === undefined && o.tracing !== undefined ? new OtlpTracer(o.tracing, { log, metrics }) : undefined;
  const tracer = o.tracer ?? ownTracer ?? noopTracer();
  const admin = new PulsarAdmin({ url: o.adminUrl, ...(o.token === undefined ? {} : { token: o.token }) });
  const namespace = `${config.tenant}/${config.namespace}`;
  const inputTopic = namespaceTopic(config, config.inputTopic);

  const properties = await admin.namespaces.getProperties(namespace);
  const pii = piiTokenizerFor(properties[piiPropertyKey(config.inputTopic)], o.piiKey);
  const registry = new SchemaRegistry({ fetch: adminSchemaFetcher(admin.schemas) });
  const ingress = new Ingress<unknown>({ decode: autoDecoder(registry), ...(pii === undefined ? {} : { pii }) });

  if (o.gpuCheck === true) {
    const { checkGpuHost } = await import('../inference/index.ts');
    const host = checkGpuHost();
    const fields = { ok: host.ok, vulkanLoader: host.vulkanLoader, icdFiles: host.icdFiles, devices: host.devices, missing: host.missing };
    if (host.ok) log.info(fields, 'gpu host check passed');
    else log.warn(fields, 'gpu host check failed: models run on CPU');
  }

  let scorer: ModelScorer | undefined;
  let client: PulsarClient | undefined;
  let http: HttpEndpoints | undefined;
  let routing: RegistryRouting | undefined; // #9
  try {
    if (o.model !== undefined && o.registry !== undefined) throw new ConfigError('registry', o.registry, 'give either model or registry, not both');
    if (o.model !== undefined) scorer = await createModelScorer({ ...o.model, log, metrics });
    client = createClient({ serviceUrl: o.serviceUrl, ...WORKER_CLIENT_OPTIONS, ...(o.token === undefined ? {} : { token: o.token }) });
    // #9: the registry router loads and warms the rollout's versions before the worker starts.
    if (o.registry !== undefined) routing = await startRegistryRouting({ client, tenant: config.tenant, namespace: config.namespace, name: o.registry.name, log, metrics });
    const score = routing?.score ?? scorer?.score;
    // Output topics with a registered schema get payloads in it (schema validation may be enforced).
    const outputs = await outputSchemasFor(admin, (t) => namespaceTopic(config, t));
    const io = await PulsarWorkerIo.create(config, { client, log, stats: admin.topics, schemas: outputs.schemas });
    const worker = NamespaceWorker.create<unknown>(o, {
      io,
      ingress,
      handler: o.handler,
      log,
      metrics,
      encodeOutput: outputs.encode,
      ...(score === undefined ? {} : { score }),
      tracer,
      ...(scorer === undefined ? {} : { scoreBackend: scorer.backend }),
    });
    await worker.start();
    if (config.httpPort >= 0) {
      http = await startHttpEndpoints(
        config.httpHost,
        config.httpPort,
        {
          healthy: () => worker.state !== 'failed',
          ready: () => worker.state === 'running',
          describe: () => worker.state,
        },
        metrics,
      );
    }
    log.info(
      { inputTopic, httpPort: http?.port, model: scorer?.version, backend: scorer?.backend, piiFields: pii?.fields.length ?? 0, tracing: tracer.enabled },
      'worker started',
    );
    let stopping: Promise<void> | undefined;
    const c = client;
    return {
      worker,
      http,
      metrics,
      modelBackend: scorer?.backend,
      stop() {
        stopping ??= (async () => {
          await worker.drain();
          await scorer?.close();
          await routing?.close(); // #9
          await c.close();
          await http?.close();
          await ownTracer?.close(); // #22: last, so the drain's spans go out
        })();
        return stopping;
      },
    };
  } catch (err) {
    await scorer?.close().catch(() => undefined);
    await routing?.close().catch(() => undefined); // #9
    await client?.close().catch(() => undefined);
    await http?.close().catch(() => undefined);
    await ownTracer?.close().catch(() => undefined);
    throw err;
  }
}

function piiTokenizerFor(fieldList: string | undefined, key: Buffer | undefined): PiiTokenizer | undefined {
  const fields = (fieldList ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  if (fields.length === 0) return undefined;
  const secret = key ?? (process.env['BEAMLINE_PII_KEY'] ? Buffer.from(process.env['BEAMLINE_PII_KEY'], 'base64') : undefined);
  if (secret === undefined) {
    throw new ConfigError('piiKey', undefined, `the namespace marks PII fields (${fields.join(', ')}); set BEAMLINE_PII_KEY to a base64 secret of at least 32 bytes`);
  }
  return createPiiTokenizer({ key: secret, fields });
}

/**
 * Composition: everything a namespace worker needs, from a cluster address and a namespace.
 * Reads the namespace's governance (PII fields, set by `beamline tenant apply`) and the input
 * topic's schema from the cluster, then starts the worker and its HTTP endpoints.
 */
import { BeamlineError, ConfigError } from '../errors.ts';
import { AuditChainWriter, auditSealOf, singleKeyring, type TenantKeyring } from '../governance/index.ts';
import { PulsarAdmin, SchemaRegistry, adminSchemaFetcher, createClient, type PulsarClient } from '../pulsar/index.ts';
import type { ModelArtifact, RemoteArtifact } from '../inference/index.ts';
import { createRootLogger, noopTracer, PrometheusMetrics, type Logger, type Metrics, type Tracer } from '../telemetry.ts';
import { OtlpTracer, type TracingOptions } from '../tracing/index.ts';
import { startHttpEndpoints, type HttpEndpoints } from './http-endpoints.ts';
import { Ingress, autoDecoder } from './ingress.ts';
import { keyringFromEnv } from './keyring-source.ts';
import { namespacePiiTokenizer, namespaceSubjectFields } from './namespace-pii.ts';
import { openSubjectVault } from './subject-vault.ts';
import { ANALYST_ROLE_PROPERTY, ReviewAuditor } from './review-audit.ts';
import { createModelScorer, type ModelScorer } from './model-scorer.ts';
import { NamespaceWorker, type WorkerHandler } from './namespace-worker.ts';
import { outputSchemasFor } from './output-encoders.ts';
import { PulsarWorkerIo, type TopicStatsSource } from './pulsar-io.ts';
import { RUNTIME_ERROR_CODES } from './errors.ts';
import { PartitionedWorker, type PartitionEvent } from './partition-ownership.ts';
import { partitionLayout } from './partition-layout.ts';
import { tailReviewDepth, type ReviewDepthTail } from './review-depth.ts';
import { systemClock, type Clock } from '../clock.ts';
import { hostname } from 'node:os';
import { compileWorkerOptions, namespaceTopic, type WorkerOptions } from './worker-options.ts';
// #9: model rollouts from the namespace's registry.
import { startRegistryRouting, type RegistryRouting } from './model-registry/index.ts';

export interface StartWorkerOptions extends WorkerOptions {
  serviceUrl: string;
  adminUrl: string;
  /** The worker role's token (never logged). */
  token?: string;
  /**
   * #21: PEM CA bundle trusted for https:// admin and pulsar+ssl:// service urls (a private CA).
   * @default Node's CAs
   */
  ca?: string | Buffer;
  handler: WorkerHandler<unknown>;
  /** A fixed model behind `ctx.score` (tests, the demo); production workers name a registry model (`registry`). */
  model?: { artifact: ModelArtifact | RemoteArtifact; version: string };
  /**
   * #9: score with the namespace's registry model of this name instead of `model`: live, canary
   * and shadow versions follow `beamline model promote|canary|shadow|rollback` with hot swaps.
   * `namespace` (#19): the registry of another namespace of the tenant (an edge reading central's
   * geo-replicated `models`). @default the worker's namespace
   */
  registry?: { name: string; namespace?: string };
  /**
   * Per-tenant secret for PII tokens (>= 32 bytes), one unversioned key. Prefer `keyring`.
   * @default none
   */
  piiKey?: Buffer;
  /**
   * #21: the tenant's versioned keys: PII tokens use its token key, dead letters are sealed
   * under its current key. Required when the namespace marks PII fields.
   * @default from $BEAMLINE_KEYS_FILE, else $BEAMLINE_PII_KEY (one key), else none (dead letters
   * then keep no content)
   */
  keyring?: TenantKeyring;
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
  /**
   * #17: this replica's name among the namespace's replicas (its Failover consumer name; the
   * broker orders replicas by it). Unique per replica. @default `<hostname>-<pid>`
   */
  replicaId?: string;
  /** #17: partition gains, losses and first commits of this replica. @default none */
  onPartitionEvent?: (e: PartitionEvent) => void;
  /**
   * #22: tail the namespace's `review` topic and export its open items as
   * `beamline_review_queue_depth_messages` (the worker role may read `review`). @default true
   */
  reviewDepth?: boolean;
  /**
   * #21: write the audit record of each analyst's review outcome (analysts may not write
   * `audit`): one replica per namespace does, through a Failover subscription. @default true
   */
  reviewAudit?: boolean;
}

export interface RunningWorker {
  /**
   * The namespace's worker: with partitioned `events` and `state` topics of equal partition
   * counts a PartitionedWorker (ownership by partition, #17), else one NamespaceWorker on a
   * Key_Shared subscription (one replica only).
   */
  readonly worker: NamespaceWorker<unknown> | PartitionedWorker;
  readonly http: HttpEndpoints | undefined;
  readonly metrics: Metrics;
  readonly modelBackend: string | undefined;
  /** Drains the worker, then closes the model, the client and the HTTP endpoints. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Client settings of the worker's connection. Reconnect and coordinator retries back off to at
 * most 1 s (the client default is 30 s), so decisions resume within about a second of a restarted
 * broker being ready again (#27). The first reconnect is spread over a second, so the namespace
 * topics a broker closed together reopen apart (see the client's reconnectSpreadMs: after a
 * restart, transaction buffers recovering together stalled for the broker's internal timeout and
 * were closed again, in cycles of 10 s).
 */
export const WORKER_CLIENT_OPTIONS = Object.freeze({ maxBackoffMs: 1_000, reconnectSpreadMs: 1_000 });

export async function startWorker(o: StartWorkerOptions): Promise<RunningWorker> {
  const config = compileWorkerOptions(o);
  const log = (o.log ?? createRootLogger()).child({ component: 'worker', tenant: config.tenant, namespace: config.namespace });
  const metrics = o.metrics ?? new PrometheusMetrics();
  // #22: the tracer is ours to close only when we made it.
  const ownTracer = o.tracer === undefined && o.tracing !== undefined ? new OtlpTracer(o.tracing, { log, metrics }) : undefined;
  const tracer = o.tracer ?? ownTracer ?? noopTracer();
  const admin = new PulsarAdmin({
    url: o.adminUrl,
    ...(o.token === undefined ? {} : { token: o.token }),
    ...(o.ca === undefined ? {} : { ca: o.ca }),
  });
  const namespace = `${config.tenant}/${config.namespace}`;
  const inputTopic = namespaceTopic(config, config.inputTopic);

  const properties = await admin.namespaces.getProperties(namespace);
  const keyring = o.keyring ?? (o.piiKey === undefined ? keyringFromEnv() : singleKeyring(o.piiKey.toString('base64'), 'piiKey'));
  const pii = namespacePiiTokenizer(properties, config.inputTopic, keyring);
  if (keyring === undefined)
    log.warn({}, 'no tenant key (BEAMLINE_KEYS_FILE): dead letters keep reason, code and ids only, never the content');
  // #21: audit records are hash-chained, sealed with the tenant key where there is one.
  const auditSeal = auditSealOf(keyring);
  const subjectFields = namespaceSubjectFields(properties, config.inputTopic, keyring);
  const registry = new SchemaRegistry({ fetch: adminSchemaFetcher(admin.schemas) });

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
  let reviewDepth: ReviewDepthTail | undefined; // #22
  let reviewAudit: ReviewAuditor | undefined; // #21
  try {
    if (o.model !== undefined && o.registry !== undefined)
      throw new ConfigError('registry', o.registry, 'give either model or registry, not both');
    if (o.model !== undefined) scorer = await createModelScorer({ ...o.model, log, metrics });
    client = createClient({
      serviceUrl: o.serviceUrl,
      ...WORKER_CLIENT_OPTIONS,
      ...(o.token === undefined ? {} : { token: o.token }),
      ...(o.ca === undefined ? {} : { tls: { ca: o.ca } }),
    });
    // #21: crypto-shredding: each subject's key comes from (or goes to) the subject-keys topic.
    const subjects =
      subjectFields === undefined || keyring === undefined
        ? undefined
        : await openSubjectVault(client, namespaceTopic(config, 'subject-keys'), {
            keyring,
            fields: subjectFields,
            clock: systemClock,
            log,
          });
    const ingress = new Ingress<unknown>({
      decode: autoDecoder(registry),
      ...(pii === undefined ? {} : { pii }),
      ...(keyring === undefined ? {} : { keyring }),
      ...(subjects === undefined ? {} : { subjects }),
    });
    // #9: the registry router loads and warms the rollout's versions before the worker starts.
    if (o.registry !== undefined)
      routing = await startRegistryRouting({
        client,
        tenant: config.tenant,
        namespace: o.registry.namespace ?? config.namespace,
        name: o.registry.name,
        log,
        metrics,
      });
    const score = routing?.score ?? scorer?.score;
    // Output topics with a registered schema get payloads in it (schema validation may be enforced).
    const outputs = await outputSchemasFor(admin, (t) => namespaceTopic(config, t));
    const layout = await partitionLayout(admin.topics, inputTopic, namespaceTopic(config, 'state'));
    if (layout.warning !== undefined) log.warn({ events: layout.events, state: layout.state }, layout.warning);
    let worker: NamespaceWorker<unknown> | PartitionedWorker;
    if (layout.partitions > 0) {
      // TODO(#26): a lane per owned partition (the priority topic partitioned alike, each lane
      // partition owned with its input partition).
      if (config.priorityTopic !== undefined) {
        throw new ConfigError(
          'priorityTopic',
          config.priorityTopic,
          `the input topic ${inputTopic} is partitioned (ownership by partition), which has no priority lane yet: leave priorityTopic unset, or run the namespace on an unpartitioned input`,
        );
      }
      const replicaId = o.replicaId ?? `${hostname()}-${process.pid}`;
      const wc = client;
      worker = new PartitionedWorker(config, {
        client: wc,
        partitions: layout.partitions,
        replicaId,
        log,
        stats: admin.topics,
        schemas: outputs.schemas,
        ...(o.onPartitionEvent === undefined ? {} : { onEvent: o.onPartitionEvent }),
        // Open windows move with their partition: never fire them early on a hand-over.
        newWorker: (io, partition) =>
          NamespaceWorker.create<unknown>(
            { ...o, flushWindowsOnDrain: false },
            {
              io,
              ingress,
              handler: o.handler,
              log: log.child({ partition }),
              metrics,
              encodeOutput: outputs.encode,
              ...(score === undefined ? {} : { score }),
              tracer,
              ...(scorer === undefined ? {} : { scoreBackend: scorer.backend }),
              // One chain per partition worker: each is its own audit producer.
              auditChain: new AuditChainWriter({ seal: auditSeal, role: 'worker' }),
            },
          ),
      });
      log.info({ partitions: layout.partitions, replicaId }, 'ownership by partition');
    } else {
      await refuseSecondReplica(admin.topics, inputTopic, config.subscription);
      const io = await PulsarWorkerIo.create(config, { client, log, stats: admin.topics, schemas: outputs.schemas });
      worker = NamespaceWorker.create<unknown>(o, {
        io,
        ingress,
        handler: o.handler,
        log,
        metrics,
        encodeOutput: outputs.encode,
        ...(score === undefined ? {} : { score }),
        tracer,
        ...(scorer === undefined ? {} : { scoreBackend: scorer.backend }),
        auditChain: new AuditChainWriter({ seal: auditSeal, role: 'worker' }),
      });
    }
    await worker.start();
    if (o.reviewAudit !== false) {
      reviewAudit = new ReviewAuditor({
        client,
        reviewTopic: namespaceTopic(config, 'review'),
        auditTopic: namespaceTopic(config, 'audit'),
        analystRole: properties[ANALYST_ROLE_PROPERTY],
        seal: auditSeal,
        clock: systemClock,
        log: log.child({ component: 'review-audit' }),
      });
      reviewAudit.start();
    }
    if (o.reviewDepth !== false)
      reviewDepth = tailReviewDepth({
        client,
        topic: namespaceTopic(config, 'review'),
        tenant: config.tenant,
        namespace: config.namespace,
        metrics,
        log: log.child({ component: 'review-depth' }),
        clock: systemClock,
      });
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
      {
        inputTopic,
        httpPort: http?.port,
        model: scorer?.version,
        backend: scorer?.backend,
        piiFields: pii?.fields.length ?? 0,
        subjectKeys: subjects !== undefined,
        tracing: tracer.enabled,
      },
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
          await reviewDepth?.close(); // #22
          await reviewAudit?.close(); // #21
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
    await reviewDepth?.close().catch(() => undefined); // #22
    await reviewAudit?.close().catch(() => undefined); // #21
    await scorer?.close().catch(() => undefined);
    await routing?.close().catch(() => undefined); // #9
    await client?.close().catch(() => undefined);
    await http?.close().catch(() => undefined);
    await ownTracer?.close().catch(() => undefined);
    throw err;
  }
}

/**
 * #17: ownership by partition needs partitioned `events` and `state` topics. Without them a
 * namespace runs as one replica: a second one on the same Key_Shared subscription would take
 * keys whose state it restored once, at its start, and compute on it stale. So a worker waits up
 * to `waitMs` for another consumer of the subscription to go (a restarted worker's predecessor,
 * killed a moment ago, is still listed until the broker sees its connection close), then refuses
 * to start. The check runs before this worker subscribes; two starting in the same instant can
 * both pass it, which the Helm chart's `worker.updateStrategy: Recreate` for such namespaces avoids.
 */
export async function refuseSecondReplica(
  stats: Pick<TopicStatsSource, 'getStats'>,
  inputTopic: string,
  subscription: string,
  options: { clock?: Clock; waitMs?: number } = {},
): Promise<void> {
  const clock = options.clock ?? systemClock;
  const until = clock.monotonic() + (options.waitMs ?? 15_000);
  for (;;) {
    const consumers = await consumersOf(stats, inputTopic, subscription);
    if (consumers === 0) return;
    if (clock.monotonic() >= until) {
      throw new BeamlineError(
        RUNTIME_ERROR_CODES.secondReplica,
        `${inputTopic} is not partitioned and ${consumers} consumer(s) already read it on subscription ${subscription}: run this namespace as one replica (Helm: replicaCount 1, worker.updateStrategy Recreate), or partition its events and state topics alike (the tenant spec's partitions) to run several`,
        { retriable: true, details: { topic: inputTopic, subscription, consumers } },
      );
    }
    await clock.sleep(500);
  }
}

async function consumersOf(stats: Pick<TopicStatsSource, 'getStats'>, topic: string, subscription: string): Promise<number> {
  try {
    const sub = (await stats.getStats(topic)).subscriptions?.[subscription];
    return Array.isArray(sub?.['consumers']) ? (sub['consumers'] as unknown[]).length : 0;
  } catch (err) {
    // A topic the broker does not know yet has no consumers; anything else is the caller's to see.
    if ((err as { status?: number }).status === 404) return 0;
    throw err;
  }
}

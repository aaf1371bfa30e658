/**
 * A worker's configuration file (`beamline worker --config worker.yaml`): which handler runs and
 * with what. Compiled like any other options: errors name the field path, the value and the fix.
 *
 *   handler: builtin-scoring          # or ./my-handler.ts exporting `process` (or `processWindow` + `windows`)
 *   guarantee: at-least-once
 *   scoring:
 *     features: [{ name: amount, field: amount }, ...]
 *     policy: { reviewAtScore: 0.5, blockAtScore: 0.9, version: p1 }
 *     priority: "amount > 1000"      # #26: these events take the micro-batcher's high lane
 *   priorityTopic: events-priority    # #26: the priority lane's input topic, taken first
 *   model: { path: ./models/fraud, version: fraud@1 }
 *   # or, #25, a model served elsewhere (Open Inference Protocol; see README "Remote models"):
 *   model: { remote: { protocol: oip-rest, endpoint: http://127.0.0.1:8080, model: fraud, signature: { input: [4], output: [1] } }, version: fraud@1 }
 *   httpHost: 0.0.0.0                 # the Helm chart sets these four (#20)
 *   httpPort: 9464
 *   drainDeadlineMs: 30000
 *   gpu: true                         # log the GPU host check at start-up
 *   tracing: { endpoint: http://otel-collector:4318, sampleRatio: 0.1 }   # #22: OTLP spans
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ProcessFn } from '../contract.ts';
import { ConfigError } from '../errors.ts';
import type { ModelArtifact, RemoteArtifact } from '../inference/index.ts';
import type { DecisionPolicyOptions } from './decision-policy.ts';
import type { WorkerHandler } from './namespace-worker.ts';
import type { PriorityRuleSpec } from './priority-rule.ts';
import { createScoringHandler, type FeatureSpec } from './scoring-handler.ts';
import type { ProcessingGuarantee } from './worker-options.ts';
import type { TracingOptions } from '../tracing/index.ts';

export interface WorkerFile {
  handler?: string;
  guarantee?: ProcessingGuarantee;
  /** The built-in scoring handler's options (ScoringHandlerOptions), as YAML. */
  scoring?: {
    features: FeatureSpec[];
    idField?: string;
    policy?: DecisionPolicyOptions;
    historyMax?: number;
    emitFeatures?: boolean;
    audit?: boolean;
    /** #26: priority events take the micro-batcher's high lane, e.g. "amount > 1000". */
    priority?: PriorityRuleSpec | PriorityRuleSpec[];
  };
  /** `path`: a model folder or .onnx file scored in-process; `remote` (#25): a remote model's spec. */
  model?: { path?: string; remote?: unknown; version: string };
  /**
   * Score with the registry's model of this name (rollouts: `beamline model ...`). `namespace`
   * (#19): read the registry of another namespace of the tenant, e.g. an edge worker reading
   * `central`'s models, which geo-replication carries to every edge. @default the worker's namespace
   */
  registry?: { name: string; namespace?: string };
  /** #26: the priority lane's input topic (see WorkerOptions.priorityTopic). */
  priorityTopic?: string;
  batchMaxRecords?: number;
  batchMaxWaitMs?: number;
  httpPort?: number;
  /** Address of /healthz, /readyz, /metrics; '0.0.0.0' in a pod so the kubelet can probe. */
  httpHost?: string;
  /** On SIGTERM, finish in-flight work within this deadline (the Helm chart's grace period exceeds it). */
  drainDeadlineMs?: number;
  /** The pod was given a GPU: log the GPU host check at start-up (#20). */
  gpu?: boolean;
  /** The namespace's decision-latency SLO bound (see observability/prometheus/). @default 500 */
  sloDecisionLatencyMs?: number;
  /** #17: replicas keep standbys of the partitions they do not own (see WorkerOptions). @default false */
  standbyState?: boolean;
  /** #22: export spans to an OpenTelemetry Collector (OTLP/HTTP); off without it. */
  tracing?: TracingOptions;
}

export interface LoadedWorkerFile {
  handler: WorkerHandler<unknown>;
  model: { artifact: ModelArtifact | RemoteArtifact; version: string } | undefined;
  registry: { name: string; namespace?: string } | undefined;
  guarantee: ProcessingGuarantee | undefined;
  priorityTopic: string | undefined;
  batchMaxRecords: number | undefined;
  batchMaxWaitMs: number | undefined;
  httpPort: number | undefined;
  httpHost: string | undefined;
  drainDeadlineMs: number | undefined;
  gpu: boolean;
  sloDecisionLatencyMs: number | undefined;
  standbyState: boolean | undefined;
  tracing: TracingOptions | undefined;
}

/** Resolves the handler and model a worker file names (relative paths from `baseDir`). */
export async function loadWorkerFile(file: WorkerFile, baseDir: string): Promise<LoadedWorkerFile> {
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const kind = file.handler ?? 'builtin-scoring';
  let handler: WorkerHandler<unknown>;
  if (kind === 'builtin-scoring') {
    if (file.scoring === undefined)
      throw new ConfigError('scoring', undefined, 'builtin-scoring needs scoring.features (and optionally scoring.policy)');
    handler = { process: createScoringHandler(file.scoring) as ProcessFn<unknown> };
  } else {
    const mod = (await import(pathToFileURL(at(kind)).href)) as Record<string, unknown>;
    if (typeof mod['process'] === 'function') {
      handler = {
        process: mod['process'] as ProcessFn<unknown>,
        ...(mod['windows'] === undefined ? {} : { windows: mod['windows'] }),
      } as WorkerHandler<unknown>;
    } else if (typeof mod['processWindow'] === 'function' && mod['windows'] !== undefined) {
      handler = { processWindow: mod['processWindow'], windows: mod['windows'] } as WorkerHandler<unknown>;
    } else {
      throw new ConfigError(
        'handler',
        kind,
        'export `process(record, ctx)`, or `processWindow(records, ctx, window)` with `windows`, from that module',
      );
    }
  }
  let model: LoadedWorkerFile['model'];
  if (file.model !== undefined) {
    if (typeof file.model.version !== 'string' || file.model.version === '') {
      throw new ConfigError('model.version', file.model.version, 'name the version recorded with each decision, e.g. fraud@1');
    }
    const inference = await import('../inference/index.ts');
    if ((file.model.path === undefined) === (file.model.remote === undefined)) {
      throw new ConfigError(
        'model',
        file.model,
        'give either model.path (a model folder or .onnx file) or model.remote (a remote model spec)',
      );
    }
    model =
      file.model.remote !== undefined
        ? {
            artifact: { format: 'remote', spec: inference.compileRemoteModelSpec(file.model.remote, 'model.remote') },
            version: file.model.version,
          }
        : { artifact: await inference.readModelArtifact(at(file.model.path as string)), version: file.model.version };
  }
  if (file.model !== undefined && file.registry !== undefined) {
    throw new ConfigError('registry', file.registry, 'give either model (a fixed model) or registry (rollouts), not both');
  }
  if (file.gpu !== undefined && typeof file.gpu !== 'boolean') throw new ConfigError('gpu', file.gpu, 'use true or false');
  if (file.httpHost !== undefined && (typeof file.httpHost !== 'string' || file.httpHost === '')) {
    throw new ConfigError('httpHost', file.httpHost, "name an address to bind, e.g. '0.0.0.0' in a container or '127.0.0.1'");
  }
  if (file.registry !== undefined && (typeof file.registry.name !== 'string' || file.registry.name === '')) {
    throw new ConfigError('registry.name', file.registry.name, 'name the registry model, e.g. fraud');
  }
  if (
    file.registry?.namespace !== undefined &&
    (typeof file.registry.namespace !== 'string' || !/^[A-Za-z0-9_.=-]+$/.test(file.registry.namespace))
  ) {
    throw new ConfigError(
      'registry.namespace',
      file.registry.namespace,
      "name a namespace of the same tenant (letters, digits, '-', '_', '.'), e.g. central; leave it out for the worker's own",
    );
  }
  return {
    handler,
    model,
    registry: file.registry,
    guarantee: file.guarantee,
    priorityTopic: file.priorityTopic,
    batchMaxRecords: file.batchMaxRecords,
    batchMaxWaitMs: file.batchMaxWaitMs,
    httpPort: file.httpPort,
    httpHost: file.httpHost,
    drainDeadlineMs: file.drainDeadlineMs,
    gpu: file.gpu ?? false,
    sloDecisionLatencyMs: file.sloDecisionLatencyMs,
    standbyState: file.standbyState,
    tracing: file.tracing,
  };
}

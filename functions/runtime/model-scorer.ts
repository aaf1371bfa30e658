/**
 * `ctx.score` on top of the inference engine: micro-batched scoring of one feature row, with the
 * breaker's fallback turned into the namespace's fallback decision. The model runs in this
 * process (TF.js, ONNX Runtime) or, #25, on a remote server over the Open Inference Protocol:
 * same batcher, same breaker, same fallback.
 */
import type { ModelScore, ScoreFn } from '../contract.ts';
// Types only at load time: TF.js and ONNX Runtime are imported when a model is first loaded,
// so CLI commands that never score stay fast.
import type {
  BackendName,
  InferenceEngine,
  InferenceEngineOptions,
  ModelArtifact,
  RemoteArtifact,
  RemoteScorerDeps,
} from '../inference/index.ts';
import type { Logger, Metrics } from '../telemetry.ts';
import type { Decision } from './decision-policy.ts';

export interface ModelScorerOptions {
  /** #25: a `remote` artifact scores through its server instead of loading a runtime. */
  artifact: ModelArtifact | RemoteArtifact;
  /** The version recorded with every decision, e.g. `fraud@3`. */
  version: string;
  /** @default 'auto' (the best backend that loads) */
  backend?: BackendName | 'auto';
  /** Decision when the breaker is open or the model errs. @default 'review' */
  fallback?: Decision;
  engine?: InferenceEngineOptions;
  log: Logger;
  metrics: Metrics;
  /** #25: for remote models, e.g. a `fetch` or an `env` for the credential. */
  remote?: Pick<RemoteScorerDeps, 'fetch' | 'env' | 'clock'>;
}

export interface ModelScorer {
  readonly score: ScoreFn;
  readonly version: string;
  readonly backend: string;
  close(): Promise<void>;
}

export async function createModelScorer(o: ModelScorerOptions): Promise<ModelScorer> {
  const inference = await import('../inference/index.ts');
  const fallback = o.fallback ?? 'review';
  const artifact = o.artifact;
  if (artifact.format === 'remote') {
    const remote = await inference.RemoteScorer.connect(artifact.spec, { version: o.version, log: o.log, metrics: o.metrics, ...o.remote });
    const defaults = inference.remoteEngineOptions(remote, o.version, { fallback: { decision: fallback } });
    const engine = new inference.InferenceEngine(
      remote,
      {
        ...defaults,
        ...o.engine,
        batching: { ...defaults.batching, ...o.engine?.batching },
        breaker: { ...defaults.breaker, ...o.engine?.breaker },
      },
      { log: o.log, metrics: o.metrics },
    );
    return wrap(engine, o.version, remote.describe().backend, async () => {
      await engine.close();
      await remote.close();
    });
  }
  const loaded = await inference.loadRuntime(artifact, { backend: o.backend ?? 'auto', log: o.log, model: o.version });
  const engine = new inference.InferenceEngine(
    inference.runtimeScorer(loaded.runtime, o.version),
    { model: o.version, ...o.engine, breaker: { fallback: { decision: fallback }, ...o.engine?.breaker } },
    { log: o.log, metrics: o.metrics },
  );
  return wrap(engine, o.version, loaded.choice.backend, async () => {
    await engine.close();
    await loaded.runtime.dispose();
  });
}

function wrap(engine: InferenceEngine, version: string, backend: string, close: () => Promise<void>): ModelScorer {
  const score: ScoreFn = async (features, options) => {
    const s = await engine.score(Float32Array.from(features), options?.priority ?? 'normal');
    if (s.kind === 'scored') {
      const result: ModelScore = {
        kind: 'scored',
        score: s.outputs[0] ?? Number.NaN,
        outputs: s.outputs,
        modelVersion: s.version,
        batchSize: s.batchSize,
      };
      return result;
    }
    const d = s.decision['decision'];
    return { kind: 'fallback', decision: d === 'approve' || d === 'block' ? d : 'review', reason: s.reason };
  };
  return { score, version, backend, close };
}

/**
 * `ctx.score` on top of the inference engine: micro-batched scoring of one feature row, with the
 * breaker's fallback turned into the namespace's fallback decision.
 */
import type { ModelScore, ScoreFn } from '../contract.ts';
// Types only at load time: TF.js and ONNX Runtime are imported when a model is first loaded,
// so CLI commands that never score stay fast.
import type { BackendName, InferenceEngineOptions, ModelArtifact } from '../inference/index.ts';
import type { Logger, Metrics } from '../telemetry.ts';
import type { Decision } from './decision-policy.ts';

export interface ModelScorerOptions {
  artifact: ModelArtifact;
  /** The version recorded with every decision, e.g. `fraud@3`. */
  version: string;
  /** @default 'auto' (the best backend that loads) */
  backend?: BackendName | 'auto';
  /** Decision when the breaker is open or the model errs. @default 'review' */
  fallback?: Decision;
  engine?: InferenceEngineOptions;
  log: Logger;
  metrics: Metrics;
}

export interface ModelScorer {
  readonly score: ScoreFn;
  readonly version: string;
  readonly backend: string;
  close(): Promise<void>;
}

export async function createModelScorer(o: ModelScorerOptions): Promise<ModelScorer> {
  const { InferenceEngine, loadRuntime, runtimeScorer } = await import('../inference/index.ts');
  const loaded = await loadRuntime(o.artifact, { backend: o.backend ?? 'auto', log: o.log, model: o.version });
  const fallback = o.fallback ?? 'review';
  const engine = new InferenceEngine(
    runtimeScorer(loaded.runtime, o.version),
    { model: o.version, ...o.engine, breaker: { fallback: { decision: fallback }, ...o.engine?.breaker } },
    { log: o.log, metrics: o.metrics },
  );
  const score: ScoreFn = async (features, options) => {
    const s = await engine.score(Float32Array.from(features), options?.priority ?? 'normal');
    if (s.kind === 'scored') {
      const result: ModelScore = { kind: 'scored', score: s.outputs[0] ?? Number.NaN, outputs: s.outputs, modelVersion: s.version };
      return result;
    }
    const d = s.decision['decision'];
    return { kind: 'fallback', decision: d === 'approve' || d === 'block' ? d : 'review', reason: s.reason };
  };
  return {
    score,
    version: o.version,
    backend: loaded.choice.backend,
    async close() {
      await engine.close();
      await loaded.runtime.dispose();
    },
  };
}

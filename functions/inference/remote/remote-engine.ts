/**
 * Engine settings for a remote model: batches are not padded (a remote server is not warmed per
 * bucket, and padding rows would cost network and server time), the batcher keeps as many
 * batches in flight as the scorer allows, and the breaker's timeout covers a batch's whole retry
 * budget.
 */
import type { InferenceEngineOptions } from '../inference-engine.ts';
import type { ModelBreakerOptions } from '../model-breaker.ts';
import type { RemoteScorer } from './remote-scorer.ts';

export function remoteEngineOptions(scorer: RemoteScorer, model: string, breaker: ModelBreakerOptions = {}): InferenceEngineOptions {
  const c = scorer.config;
  return {
    model,
    batching: {
      // Every size from 1 up: bucketFor() then never pads.
      buckets: Array.from({ length: c.maxBatchSize }, (_, i) => i + 1),
      maxBatchSize: c.maxBatchSize,
      maxWaitMs: c.maxWaitMs,
      maxInFlight: c.maxInFlight,
    },
    breaker: { ...c.breaker, timeoutMs: scorer.worstCaseMs + 100, ...breaker },
  };
}

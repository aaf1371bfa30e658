/**
 * The demo's worker, one definition for the in-process worker and for each replica process
 * (`--replicas N`): the built-in scoring handler on the demo's features and its decision policy.
 */
import type { ProcessFn } from '../functions/index.ts';
import { createScoringHandler, silentLogger, type StartWorkerOptions } from '../functions/control-plane.ts';
import { DEMO_FEATURES } from './features.ts';
import type { CardAuthorization } from './generator.ts';

export const DEMO_TENANT = 'acme-payments';
export const DEMO_NAMESPACE = 'central';
export const DEMO_MODEL_VERSION = 'fraud@demo-1';

/** Where the review band starts unless the model says (its training's reviewThresholdFor). */
const DEMO_REVIEW_AT_SCORE = 0.3;

export function demoHandler(reviewAtScore = DEMO_REVIEW_AT_SCORE): ProcessFn<unknown> {
  return createScoringHandler<CardAuthorization>({
    features: DEMO_FEATURES,
    idField: 'eventId',
    // #23: calibrated scores: review from the model's held-out threshold (an analyst looks),
    // block from 0.9 (almost surely fraud).
    policy: { reviewAtScore, blockAtScore: 0.9, version: `demo-policy-3-review-${reviewAtScore}` },
  }) as ProcessFn<unknown>;
}

/** Where the demo's worker finds the broker, its model and its key; the same for every replica. */
export interface DemoWorkerInputs {
  serviceUrl: string;
  adminUrl: string;
  token: string | undefined;
  /** The model, and where its review band starts (policy.json beside it for replicas). */
  model: { modelJson: string; weights: Uint8Array; reviewAtScore?: number };
  /** The 32-byte PII key (every replica the same one, so tokens agree). */
  piiKey: Buffer;
  otlpEndpoint: string | undefined;
}

/**
 * The demo worker's options: the in-process worker (demo.ts) and each replica process
 * (replica-main.ts) start exactly this, the replicas adding their id and partition events.
 */
export function demoWorkerOptions(i: DemoWorkerInputs): StartWorkerOptions {
  return {
    tenant: DEMO_TENANT,
    namespace: DEMO_NAMESPACE,
    serviceUrl: i.serviceUrl,
    adminUrl: i.adminUrl,
    ...(i.token === undefined || i.token === '' ? {} : { token: i.token }),
    handler: { process: demoHandler(i.model.reviewAtScore) },
    model: { artifact: { format: 'tfjs-layers', modelJson: i.model.modelJson, weights: i.model.weights }, version: DEMO_MODEL_VERSION },
    piiKey: i.piiKey,
    httpPort: 0,
    // #22: the worker records what the generator sampled, and starts no traces of its own.
    ...(i.otlpEndpoint === undefined || i.otlpEndpoint === ''
      ? {}
      : { tracing: { endpoint: i.otlpEndpoint, sampleRatio: 0, serviceName: 'beamline-worker' } }),
    log: silentLogger,
  };
}

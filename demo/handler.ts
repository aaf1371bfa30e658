/**
 * The demo's worker, one definition for the in-process worker and for each replica process
 * (`--replicas N`): the built-in scoring handler on the demo's features and its decision policy.
 */
import type { ProcessFn } from '../functions/index.ts';
import { createScoringHandler } from '../functions/control-plane.ts';
import { DEMO_FEATURES } from './features.ts';
import type { CardAuthorization } from './generator.ts';

export const DEMO_TENANT = 'acme-payments';
export const DEMO_NAMESPACE = 'central';
export const DEMO_MODEL_VERSION = 'fraud@demo-1';

export function demoHandler(): ProcessFn<unknown> {
  return createScoringHandler<CardAuthorization>({
    features: DEMO_FEATURES,
    idField: 'eventId',
    // #23: calibrated scores: review from 0.3 (an analyst looks), block from 0.9 (almost surely fraud).
    policy: { reviewAtScore: 0.3, blockAtScore: 0.9, version: 'demo-policy-2' },
  }) as ProcessFn<unknown>;
}

/**
 * The state of a circuit breaker (model inference, webhook action sinks, the Pub/Sub bridge's
 * sink): one vocabulary for all three. Each wraps opossum, so the names are opossum's
 * (`halfOpen`, not `half-open`). No I/O.
 */

/** From healthy to broken; `beamline_inference_breaker_state` reports a state's index here. */
export const BREAKER_STATES = ['closed', 'halfOpen', 'open'] as const;

export type BreakerState = (typeof BREAKER_STATES)[number];

/** The inference breaker gauge's value of a state (0 closed, 1 half-open, 2 open). */
export function breakerGaugeValue(state: BreakerState): number {
  return BREAKER_STATES.indexOf(state);
}

/** How people and `beamline top` read each state (its table and JSON spell `half-open`). */
export const BREAKER_STATE_TEXT = { closed: 'closed', halfOpen: 'half-open', open: 'open' } as const satisfies Record<BreakerState, string>;

export type BreakerStateText = (typeof BREAKER_STATE_TEXT)[BreakerState];

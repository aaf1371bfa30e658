/**
 * The chaos suite's priority events (#26): the worker's rule (its micro-batcher's high lane) and
 * the lane topic the suite's producer routes them to (the worker takes that topic first).
 */

/** Events with amount above this are priority events (the README's example rule). */
export const PRIORITY_RULE = 'amount > 1000';

/** The priority lane's input topic. */
export const PRIORITY_TOPIC = 'events-priority';

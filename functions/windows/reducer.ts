/**
 * A custom aggregation. Accumulators live in the state store and go through its serde (JSON by
 * default), so they must survive a JSON round trip: plain objects, arrays, strings, finite
 * numbers, booleans and null. `add` and `merge` may mutate and return their first argument.
 */
export interface Reducer<T = unknown, A = unknown, R = unknown> {
  init(): A;
  add(acc: A, value: T, eventTimeMs: number): A;
  /** Combines two accumulators; required for session windows, which merge. */
  merge?(a: A, b: A): A;
  /**
   * The window's value. It may return the accumulator itself: the operator hands the handler a
   * structured clone, so results must be plain (structured-cloneable) data.
   */
  result(acc: A): R;
}

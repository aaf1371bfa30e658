/**
 * The sampling decision for a new trace (#22): the same decision the OpenTelemetry JS SDK's
 * `TraceIdRatioBasedSampler` makes for a trace id, so a trace started here and one started by
 * another service on the SDK agree on the same id at the same ratio.
 *
 * Why not call the SDK's sampler: the worker asks once per record that arrives without a trace
 * context (all of them in the bench), and the SDK's `shouldSample` validates the id by regular
 * expression and builds a result object each time: about 1 µs a record, 2% of an untraced
 * record's whole cost. The ids asked about here are ours (telemetry.ts's newTraceContext: 32
 * lowercase hex digits, never all zero), so there is nothing to validate.
 *
 * The rule: the id's four 32-bit words XORed together, compared with the ratio's share of 2^32-1.
 * The words are read digit by digit from a table (four `parseInt(slice)` calls took about 0.5 µs a
 * record in the worker's profile, about 1% of an untraced record).
 */

/** Hex digit values by character code (ids are ours, lowercase; uppercase digits read alike). */
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

export class TraceIdRatio {
  readonly #bound: number;

  /** `ratio` in [0, 1] (compileTracingOptions checked it). */
  constructor(ratio: number) {
    this.#bound = Math.floor(ratio * 0xffffffff);
  }

  /** Whether a new trace with this id (32 hex digits) is recorded. */
  sampled(traceId: string): boolean {
    if (this.#bound === 0) return false;
    let acc = 0;
    for (let w = 0; w < 32; w += 8) {
      let word = 0;
      for (let i = w; i < w + 8; i++) word = (word << 4) | (HEX_VALUE[traceId.charCodeAt(i) & 127] ?? 0);
      acc ^= word;
    }
    return acc >>> 0 < this.#bound;
  }
}

/** Error codes of the benchmarks (scripts/bench/). */
export const PULSAR_PERF_ERROR_CODES = Object.freeze({
  failed: 'BL_BENCH_PULSAR_PERF_FAILED',
  unparsable: 'BL_BENCH_PULSAR_PERF_UNPARSABLE',
});

export const BENCH_ERROR_CODES = Object.freeze({
  clientOursFailed: 'BL_BENCH_CLIENT_OURS_FAILED',
});

import { describe, expect, it } from 'vitest';
import { parsePerfConsumeOutput, parsePerfProduceOutput, PULSAR_PERF_ERROR_CODES } from '../../../scripts/bench/pulsar-perf.ts';

// Trimmed from real pulsar-perf 4.0.6 runs logged through scripts/java/log4j2.xml.
const PRODUCE_LOG = `
1795898318100 INFO  [main] PerformanceProducer - Starting Pulsar perf producer with config: {
  "msgRate" : 20000,
}
1795898318522 INFO  [pulsar-perf-producer-exec-1-1] PerformanceProducer - Created 1 producers
1795898321524 INFO  [pulsar-perf-producer-exec-1-1] PerformanceProducer - ------------- DONE (reached the maximum duration: [3 seconds] of production) --------------
1795898327744 INFO  [perf-client-shutdown] PerformanceProducer - Aggregated throughput stats --- 59991 records sent --- 5959.284 msg/s --- 46.557 Mbit/s 
1795898327883 INFO  [perf-client-shutdown] PerformanceProducer - Aggregated latency stats --- Latency: mean:   4.401 ms - med:   3.592 - 95pct:   8.314 - 99pct:  15.604 - 99.9pct:  61.751 - 99.99pct:  61.765 - 99.999pct:  61.794 - Max:  61.794
`;

const CONSUME_LOG = `
1795898401579 INFO  [main] PerformanceConsumer - Start receiving from 1 consumers per subscription on 1 topics
1795898403079 INFO  [pulsar-external-listener-4-1] PerformanceConsumer - ------------------- DONE -----------------------
1795898403124 INFO  [perf-client-shutdown] PerformanceConsumer - Aggregated throughput stats --- 40000 records received --- 26018.981 msg/s --- 203.273 Mbit/s --- AckRate: 26018.33087582862  msg/s --- ack failed 0 msg
1795898403223 INFO  [perf-client-shutdown] PerformanceConsumer - Aggregated latency stats --- Latency: mean: 11815.727 ms - med: 11839 - 95pct: 12091 - 99pct: 12102 - 99.9pct: 12118 - 99.99pct: 12118 - 99.999pct: 12118 - Max: 12118
`;

describe('pulsar-perf summary parsing', () => {
  it("takes producer throughput over the active phase, not pulsar-perf's shutdown-inflated figure", () => {
    const r = parsePerfProduceOutput(PRODUCE_LOG);
    expect(r.records).toBe(59991);
    expect(r.activeMs).toBe(3002);
    expect(r.msgPerSec).toBeCloseTo(59991 / 3.002, 3);
    expect(r.reportedMsgPerSec).toBeCloseTo(5959.284, 3);
    expect(r.latency).toEqual({ meanMs: 4.401, p50Ms: 3.592, p95Ms: 8.314, p99Ms: 15.604, p999Ms: 61.751, maxMs: 61.794 });
  });

  it('parses consumer throughput and integer end-to-end latencies', () => {
    const r = parsePerfConsumeOutput(CONSUME_LOG);
    expect(r.records).toBe(40000);
    expect(r.activeMs).toBe(1500);
    expect(r.msgPerSec).toBeCloseTo(40000 / 1.5, 3);
    expect(r.endToEndLatency?.p99Ms).toBe(12102);
  });

  it('falls back to the reported rate when the log has no usable stamps', () => {
    const unstamped = PRODUCE_LOG.replace(/^\d{13} /gm, '');
    expect(parsePerfProduceOutput(unstamped).msgPerSec).toBeCloseTo(5959.284, 3);
  });

  it('fails with a stable code when the summary is missing (e.g. pulsar-perf crashed)', () => {
    expect(() => parsePerfProduceOutput('Exception in thread "main"')).toThrow(
      expect.objectContaining({ code: PULSAR_PERF_ERROR_CODES.unparsable }),
    );
    expect(() => parsePerfConsumeOutput(PRODUCE_LOG)).toThrow(expect.objectContaining({ code: PULSAR_PERF_ERROR_CODES.unparsable }));
  });
});

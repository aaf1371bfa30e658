/**
 * #26: a short subset of `npm run chaos` as a test. Its own broker (`chaos-test`, offset 560 by default: testBrokerOffset(460)),
 * the worker in a child process behind the suite's TCP proxy, a remote model server and a
 * webhook receiver. Two scenarios, each with faults held 6 s:
 *   - proxy-resets: every worker<->broker connection reset every 3 s;
 *   - model-stall: the model server holds every call (inference timeouts -> fallback decisions).
 * Each must end with every acknowledged event decided exactly once, the lag back under the
 * threshold, the worker heap under the ceiling and every block delivered to the webhook.
 *
 * Run it only under the shared lock: `flock /tmp/bl-own-brokers.lock npx vitest run FILE`.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/chaos/run.ts';
import { testBrokerOffset } from '../support/pulsar-env.ts';

describe('chaos subset (#26)', () => {
  it('survives connection resets and a stalled model exactly once, and recovers', { timeout: 600_000 }, async () => {
    const results = await runChaos({
      only: ['proxy-resets', 'model-stall'],
      brokerName: 'chaos-test',
      brokerOffset: testBrokerOffset(460), // 560 by default
      timing: { rate: 50, beforeS: 2, afterS: 2, maxRecoverS: 120 },
      scale: { faultS: 6 },
      log: (line) => void process.stderr.write(`[chaos-test] ${line}\n`),
    });
    const summary = results.map((r) => ({
      scenario: r.scenario,
      verdict: r.verdict,
      lost: r.lost,
      duplicated: r.duplicated,
      reasons: r.reasons,
    }));
    expect(summary).toEqual([
      { scenario: 'proxy-resets', verdict: 'pass', lost: 0, duplicated: 0, reasons: [] },
      { scenario: 'model-stall', verdict: 'pass', lost: 0, duplicated: 0, reasons: [] },
    ]);
    for (const r of results) {
      expect(r.sent).toBeGreaterThan(300);
      expect(r.recoverS).not.toBeNull();
      expect(r.deadLettered).toBe(0);
    }
    // The stall was felt: records decided by the fallback while the model held every call.
    // Any phase: a worker that is behind decides the stall's own events after the heal.
    expect(results[1]?.fallbacks).toBeGreaterThan(0);
  });
});

/** The producer burst's verdict (#26): it must overload the worker, and the lane must hold. */
import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../../scripts/chaos/harness.ts';
import { burstChecks } from '../../../scripts/chaos/scenarios.ts';

function result(o: Partial<ScenarioResult>): ScenarioResult {
  return { p99BeforeMs: 120, p99NormalDuringMs: 60_000, p99PriorityDuringMs: 250, lanes: true, ...o } as ScenarioResult;
}

describe('producer-burst checks (#26)', () => {
  it('passes an overload in which priority events keep their latency', () => {
    expect(burstChecks(result({}))).toEqual([]);
  });

  it('fails a burst that built no backlog, naming the option to raise', () => {
    expect(burstChecks(result({ p99NormalDuringMs: 400, p99PriorityDuringMs: 380 }))).toEqual([
      expect.stringContaining('raise --burst-factor'),
    ]);
  });

  it('fails priority events that waited like the rest when they had a lane, and not without one', () => {
    const slow = { p99PriorityDuringMs: 59_000 };
    expect(burstChecks(result(slow))).toEqual([expect.stringContaining('priority events did not keep their latency')]);
    expect(burstChecks(result({ ...slow, lanes: false }))).toEqual([]);
  });

  it('fails when nothing was measured', () => {
    expect(burstChecks(result({ p99PriorityDuringMs: null }))).toEqual([expect.stringContaining('no latency measured')]);
  });
});

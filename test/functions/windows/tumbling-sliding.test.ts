import { describe, expect, it } from 'vitest';
import { createStateStore } from '../../../functions/state/index.ts';
import { PrometheusMetrics } from '../../../functions/telemetry.ts';
import { assignWindows, compileWindowOptions, WindowOperator, type WindowStoreValue } from '../../../functions/windows/index.ts';
import { END, makeOperator, rows, run } from './helpers.ts';

describe('tumbling windows', () => {
  it('fire when the watermark (max event time - out-of-orderness) passes the end; out-of-order events within bound count', () => {
    const op = makeOperator<number>({ type: 'tumbling', sizeMs: 10, maxOutOfOrdernessMs: 5, aggregate: 'sum' });
    const got = run(op, [
      { t: 1, v: 1 },
      { t: 4, v: 2 },
      { t: 12, v: 10 }, // watermark 7: [0,10) still open
      { t: 3, v: 4 }, // out of order, within bound
      { key: 'b', t: 9, v: 100 },
      { t: 16, v: 20 }, // watermark 11: fires [0,10) for a and b
      { t: 2, v: 1000 }, // window [0,10) already closed, no lateness allowed
      { watermark: END },
    ]);
    expect(rows(got)).toEqual([
      ['a', 0, 10, 7, 3, 'on-time'],
      ['b', 0, 10, 100, 1, 'on-time'],
      ['a', 10, 20, 30, 2, 'on-time'],
    ]);
    expect(got.late).toEqual([{ key: 'a', t: 2, reason: 'beyond-allowed-lateness', watermarkMs: 11 }]);
    expect(op.watermarkMs).toBe(END);
    expect(op.openWindows).toBe(0);
  });

  it('late events within allowedLatenessMs update and re-emit; later ones go to the side output', () => {
    const op = makeOperator({ type: 'tumbling', sizeMs: 10, allowedLatenessMs: 10 });
    const got = run(op, [
      { t: 1 },
      { t: 11 }, // watermark 11: [0,10) fires with 1
      { t: 5 }, // late but allowed: re-emit with 2
      { t: 0 }, // again: 3
      { t: 25 }, // watermark 25: [10,20) fires; [0,10) purged (25 >= 10 + 10)
      { t: 6 }, // beyond lateness
      { t: 18 }, // [10,20) fired but within lateness: late update
    ]);
    expect(rows(got)).toEqual([
      ['a', 0, 10, 1, 1, 'on-time'],
      ['a', 0, 10, 2, 2, 'late'],
      ['a', 0, 10, 3, 3, 'late'],
      ['a', 10, 20, 1, 1, 'on-time'],
      ['a', 10, 20, 2, 2, 'late'],
    ]);
    expect(got.late).toEqual([{ key: 'a', t: 6, reason: 'beyond-allowed-lateness', watermarkMs: 25 }]);
  });

  it('a late-but-allowed event for a window never seen opens and emits it at once', () => {
    const op = makeOperator({ type: 'tumbling', sizeMs: 10, allowedLatenessMs: 30 });
    const got = run(op, [{ t: 35 }, { t: 12 }, { watermark: 45 }]);
    expect(rows(got)).toEqual([
      ['a', 10, 20, 1, 1, 'late'],
      ['a', 30, 40, 1, 1, 'on-time'],
    ]);
  });

  it('counts results and late events in metrics', async () => {
    const metrics = new PrometheusMetrics();
    const config = compileWindowOptions({ type: 'tumbling', sizeMs: 10 });
    const op = new WindowOperator(config, createStateStore<WindowStoreValue>().store, { metrics, name: 'clicks' });
    run(op, [{ t: 1 }, { t: 12 }, { t: 3 }, { t: Number.NaN }]);
    const text = await metrics.render();
    expect(text).toContain('beamline_window_results_total{window="clicks",trigger="on-time"} 1');
    expect(text).toContain('beamline_window_late_events_total{window="clicks",reason="beyond-allowed-lateness"} 1');
    expect(text).toContain('beamline_window_late_events_total{window="clicks",reason="invalid-event-time"} 1');
  });

  it('invalid event times go to the side output', () => {
    const op = makeOperator({ type: 'tumbling', sizeMs: 10 });
    const got = run(op, [{ t: Number.NaN }]);
    expect(got.late).toEqual([{ key: 'a', t: Number.NaN, reason: 'invalid-event-time', watermarkMs: null }]);
  });

  it('offsets shift the boundaries', () => {
    const config = compileWindowOptions({ type: 'tumbling', sizeMs: 10, offsetMs: 3 });
    expect(assignWindows(config, 2)).toEqual([{ startMs: -7, endMs: 3 }]);
    expect(assignWindows(config, 3)).toEqual([{ startMs: 3, endMs: 13 }]);
  });
});

describe('sliding windows', () => {
  it('assign each event to size/slide overlapping windows, earliest first', () => {
    const config = compileWindowOptions({ type: 'sliding', sizeMs: 10, slideMs: 5 });
    expect(assignWindows(config, 7)).toEqual([
      { startMs: 0, endMs: 10 },
      { startMs: 5, endMs: 15 },
    ]);
    expect(assignWindows(config, 10)).toEqual([
      { startMs: 5, endMs: 15 },
      { startMs: 10, endMs: 20 },
    ]);
    expect(assignWindows(config, -1)).toEqual([
      { startMs: -10, endMs: 0 },
      { startMs: -5, endMs: 5 },
    ]);
  });

  it('emit exact per-window results with out-of-order and late events', () => {
    const op = makeOperator<number>({
      type: 'sliding',
      sizeMs: 10,
      slideMs: 5,
      maxOutOfOrdernessMs: 3,
      allowedLatenessMs: 5,
      aggregate: 'max',
    });
    const got = run(op, [
      { t: 1, v: 1 }, // [-5,5) [0,10)
      { t: 6, v: 6 }, // [0,10) [5,15)
      { t: 4, v: 40 }, // out of order: [-5,5) [0,10)
      { t: 9, v: 9 }, // wm 6: fires [-5,5)
      { t: 14, v: 14 }, // wm 11: fires [0,10)
      { t: 3, v: 300 }, // [-5,5) purged at wm 10 -> dropped there; [0,10) within lateness -> late update
      { t: 22, v: 22 }, // wm 19: fires [5,15), [10,20); purges [0,10) (wm >= 15)
      { t: 2, v: 2 }, // both windows gone
      { watermark: END },
    ]);
    expect(rows(got)).toEqual([
      ['a', -5, 5, 40, 2, 'on-time'],
      ['a', 0, 10, 40, 4, 'on-time'],
      ['a', 0, 10, 300, 5, 'late'],
      ['a', 5, 15, 14, 3, 'on-time'],
      ['a', 10, 20, 14, 1, 'on-time'],
      ['a', 15, 25, 22, 1, 'on-time'],
      ['a', 20, 30, 22, 1, 'on-time'],
    ]);
    expect(got.late).toEqual([{ key: 'a', t: 2, reason: 'beyond-allowed-lateness', watermarkMs: 19 }]);
  });
});

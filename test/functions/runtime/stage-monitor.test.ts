/** #26: the worker names its bottleneck stage (metric and log line). Fake clock. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { bottleneckOf, StageMonitor } from '../../../functions/runtime/stage-monitor.ts';
import { PrometheusMetrics, type Logger } from '../../../functions/telemetry.ts';

function recordingLogger(lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }>): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void =>
      void lines.push({ level, msg, fields });
  const log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log } as unknown as Logger;
  return log;
}

describe('bottleneckOf', () => {
  it('is input while the loop mostly waits for input, else the busier of decide and commit', () => {
    expect(bottleneckOf({ receive: 0, decide: 0, commit: 0 })).toBe('input');
    expect(bottleneckOf({ receive: 600, decide: 300, commit: 100 })).toBe('input');
    expect(bottleneckOf({ receive: 100, decide: 700, commit: 200 })).toBe('decide');
    expect(bottleneckOf({ receive: 100, decide: 200, commit: 700 })).toBe('commit');
  });
});

describe('StageMonitor', () => {
  it('exports busy shares per window and logs when the bottleneck moves', async () => {
    const clock = new FakeClock();
    const metrics = new PrometheusMetrics();
    const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
    const m = new StageMonitor(metrics, { tenant: 't', namespace: 'n' }, { clock, log: recordingLogger(lines), windowMs: 1000 });
    expect(await metrics.render()).toContain('beamline_worker_bottleneck_info{tenant="t",namespace="n",stage="input"} 1');

    // One window's time per stage; the window closes with the first add after it ends.
    const window = async (ms: { receive?: number; decide?: number; commit?: number }): Promise<void> => {
      m.add('receive', ms.receive ?? 0);
      m.add('decide', ms.decide ?? 0);
      m.add('commit', ms.commit ?? 0);
      await clock.advance(1000);
      m.add('receive', 0);
    };
    // A slow model: most of the window in decide.
    await window({ receive: 50, decide: 800, commit: 150 });
    expect(m.bottleneck).toBe('decide');
    const text = await metrics.render();
    expect(text).toContain('beamline_worker_stage_busy_ratio{tenant="t",namespace="n",stage="decide"} 0.8');
    expect(text).toContain('beamline_worker_bottleneck_info{tenant="t",namespace="n",stage="decide"} 1');
    expect(text).toContain('beamline_worker_bottleneck_info{tenant="t",namespace="n",stage="input"} 0');
    expect(lines).toEqual([
      {
        level: 'warn',
        msg: 'worker bottleneck changed',
        fields: expect.objectContaining({ stage: 'decide', previous: 'input', shares: { receive: 0.05, decide: 0.8, commit: 0.15 } }),
      },
    ]);

    // Same bottleneck next window: no new line. Then the broker is slow to commit.
    await window({ decide: 900 });
    expect(lines).toHaveLength(1);
    await window({ commit: 900, decide: 100 });
    expect(m.bottleneck).toBe('commit');
    expect(lines.at(-1)).toMatchObject({ level: 'warn', fields: { stage: 'commit', previous: 'decide' } });

    // Caught up: waiting for input again, logged at info.
    await window({ receive: 900 });
    expect(m.bottleneck).toBe('input');
    expect(lines.at(-1)).toMatchObject({ level: 'info', fields: { stage: 'input' } });
  });
});

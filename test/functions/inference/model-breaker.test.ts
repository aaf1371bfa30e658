import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../functions/errors.ts';
import { ModelBreaker, compileModelBreakerOptions } from '../../../functions/inference/index.ts';
import { PrometheusMetrics } from '../../../functions/telemetry.ts';

// opossum runs on real timers; vitest's fake timers drive them so the test never sleeps.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('compileModelBreakerOptions', () => {
  it('defaults to a review fallback and validates', () => {
    expect(compileModelBreakerOptions()).toMatchObject({ timeoutMs: 1000, fallback: { decision: 'review' } });
    expect(compileModelBreakerOptions({ fallback: null }).fallback).toBeNull();
    expect(() => compileModelBreakerOptions({ errorThresholdPercentage: 0 })).toThrow(ConfigError);
  });
});

describe('ModelBreaker', () => {
  it('opens after injected failures, serves fallbacks, probes half-open and closes after recovery', async () => {
    let healthy = false;
    let calls = 0;
    const action = async (x: number): Promise<number> => {
      calls++;
      if (!healthy) throw new Error('model down');
      return x * 2;
    };
    const metrics = new PrometheusMetrics();
    const breaker = new ModelBreaker(
      action,
      { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 200, fallback: { decision: 'review' } },
      { metrics, model: 'fraud' },
    );

    for (let i = 0; i < 3; i++) {
      await expect(breaker.fire(i)).resolves.toMatchObject({ ok: false, reason: 'error', fallback: { decision: 'review' } });
    }
    expect(breaker.state).toBe('open');
    expect(calls).toBe(3);

    // Open: the model is not called, fallbacks keep flowing.
    await expect(breaker.fire(9)).resolves.toMatchObject({ ok: false, reason: 'open', fallback: { decision: 'review' } });
    expect(calls).toBe(3);
    expect(await metrics.render()).toContain('beamline_inference_breaker_state{model="fraud"} 2');

    // After resetTimeoutMs one probe is let through; the model has recovered, so it closes.
    healthy = true;
    vi.advanceTimersByTime(200);
    expect(breaker.state).toBe('halfOpen');
    await expect(breaker.fire(5)).resolves.toEqual({ ok: true, value: 10 });
    expect(breaker.state).toBe('closed');
    await expect(breaker.fire(6)).resolves.toEqual({ ok: true, value: 12 });

    const text = await metrics.render();
    expect(text).toContain('beamline_inference_breaker_state{model="fraud"} 0');
    expect(text).toContain('beamline_inference_breaker_events_total{model="fraud",event="open"} 1');
    expect(text).toContain('beamline_inference_breaker_events_total{model="fraud",event="halfOpen"} 1');
    expect(text).toContain('beamline_inference_breaker_events_total{model="fraud",event="close"} 1');
    breaker.close();
    breaker.close();
  });

  it('a failed half-open probe re-opens the circuit', async () => {
    const breaker = new ModelBreaker(async () => Promise.reject(new Error('down')), { volumeThreshold: 1, resetTimeoutMs: 100 });
    await breaker.fire();
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(100);
    expect(breaker.state).toBe('halfOpen');
    await expect(breaker.fire()).resolves.toMatchObject({ ok: false, reason: 'error' });
    expect(breaker.state).toBe('open');
    breaker.close();
  });

  it('a slow model times out into the fallback', async () => {
    const breaker = new ModelBreaker(() => new Promise<number>(() => undefined), {
      timeoutMs: 50,
      fallback: { decision: 'allow', score: 0 },
    });
    const p = breaker.fire();
    vi.advanceTimersByTime(50);
    await expect(p).resolves.toMatchObject({ ok: false, reason: 'timeout', fallback: { decision: 'allow', score: 0 } });
    breaker.close();
  });

  it('without a fallback the error reaches the caller', async () => {
    const breaker = new ModelBreaker(async () => Promise.reject(new Error('nope')), { fallback: null });
    await expect(breaker.fire()).rejects.toThrow('nope');
    breaker.close();
  });
});

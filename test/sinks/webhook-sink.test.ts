import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../functions/index.ts';
import { WebhookSink, compileWebhookSinkOptions, type FetchFn } from '../../sinks/index.ts';

/** A sink endpoint that answers with the given statuses in turn (the last one repeats). */
function endpoint(statuses: number[]): { fetch: FetchFn; calls: { key: string; trace: string; body: string }[] } {
  const calls: { key: string; trace: string; body: string }[] = [];
  return {
    calls,
    fetch: async (_url, init) => {
      calls.push({ key: init.headers['idempotency-key'] ?? '', trace: init.headers['x-beamline-trace-id'] ?? '', body: init.body });
      const status = statuses[Math.min(calls.length - 1, statuses.length - 1)] ?? 200;
      return { ok: status >= 200 && status < 300, status };
    },
  };
}

const base = { name: 'blocker', url: 'http://sink.invalid/hook', retryBaseMs: 0, retryMaxMs: 0, resetTimeoutMs: 600_000 };
const action = { action: 'block', idempotencyKey: 'e1:block', traceId: 't-1', key: 'card-1' };

describe('webhook sink', () => {
  it('retries transient failures and sends the idempotency key and trace id', async () => {
    const e = endpoint([503, 500, 200]);
    const sink = new WebhookSink({ ...base, maxAttempts: 4, volumeThreshold: 100 }, { fetch: e.fetch });
    expect(await sink.apply(action, 'e1:block')).toBe('applied');
    expect(e.calls).toHaveLength(3);
    expect(e.calls[0]).toMatchObject({ key: 'e1:block', trace: 't-1' });
    expect(JSON.parse(e.calls[0]?.body ?? '{}')).toEqual(action);
    expect(sink.stats).toMatchObject({ applied: 1, retries: 2, failures: 2 });
    sink.close();
  });

  it('applies a key once: a redelivered action is a duplicate', async () => {
    const e = endpoint([200]);
    const sink = new WebhookSink(base, { fetch: e.fetch });
    expect(await sink.apply(action, 'k')).toBe('applied');
    expect(await sink.apply(action, 'k')).toBe('duplicate');
    expect(e.calls).toHaveLength(1);
    sink.close();
  });

  it('does not retry a permanent refusal, and a refusal does not count against the breaker', async () => {
    const e = endpoint([422]);
    const sink = new WebhookSink({ ...base, volumeThreshold: 1, errorThresholdPercentage: 1 }, { fetch: e.fetch });
    for (let i = 0; i < 3; i++) expect(await sink.apply(action, `k${i}`)).toBe('rejected');
    expect(e.calls).toHaveLength(3);
    expect(sink.breakerState).toBe('closed');
    sink.close();
  });

  it('opens its breaker on repeated failures, then defers without calling the sink', async () => {
    const e = endpoint([500]);
    const sink = new WebhookSink({ ...base, maxAttempts: 3, volumeThreshold: 3, errorThresholdPercentage: 50 }, { fetch: e.fetch });
    expect(await sink.apply(action, 'a')).toBe('deferred');
    expect(sink.breakerState).toBe('open');
    const calls = e.calls.length;
    expect(await sink.apply(action, 'b')).toBe('deferred');
    expect(e.calls.length).toBe(calls);
    expect(sink.stats).toMatchObject({ opened: 1, deferred: 2 });
    sink.close();
  });

  it('validates its options with the field and the fix', () => {
    expect(compileWebhookSinkOptions(base)).toMatchObject({ timeoutMs: 5000, maxAttempts: 4, actions: null });
    let err: ConfigError | undefined;
    try {
      compileWebhookSinkOptions({ ...base, url: 'ftp://x' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.message).toContain('sinks.blocker.url');
    expect(() => compileWebhookSinkOptions({ ...base, maxAttempts: 0 })).toThrow(/maxAttempts/);
  });
});

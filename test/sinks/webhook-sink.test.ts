import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import type { ConfigError } from '../../functions/index.ts';
import { OtlpTracer, parseTraceparent } from '../../functions/control-plane.ts';
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

/** Records every request's headers. */
function headersEndpoint(statuses: number[]): { fetch: FetchFn; headers: Array<Record<string, string>> } {
  const headers: Array<Record<string, string>> = [];
  return {
    headers,
    fetch: async (_url, init) => {
      headers.push(init.headers);
      const status = statuses[Math.min(headers.length - 1, statuses.length - 1)] ?? 200;
      return { ok: status >= 200 && status < 300, status };
    },
  };
}

describe('webhook sink trace continuation (#22)', () => {
  const parent = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'k=v')!;

  it('sends each attempt under its own client span: traceparent is the span, x-beamline-trace-id the W3C trace id', async () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0 }, { exporter });
    const e = headersEndpoint([503, 200]);
    const sink = new WebhookSink({ ...base, volumeThreshold: 100 }, { fetch: e.fetch, tracer });
    expect(await sink.apply(action, 'e1:block', parent)).toBe('applied');
    await tracer.flush();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['POST', 'POST']);
    expect(spans.every((s) => s.parentSpanContext?.spanId === parent.spanId && s.kind === 2)).toBe(true);
    expect(spans[0]?.status.code).toBe(2);
    expect(spans[1]?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': 'sink.invalid',
      'http.request.resend_count': 1,
    });
    expect(e.headers.map((h) => parseTraceparent(h['traceparent'])?.spanId)).toEqual(spans.map((s) => s.spanContext().spanId));
    expect(e.headers.every((h) => h['x-beamline-trace-id'] === parent.traceId && h['tracestate'] === 'k=v')).toBe(true);
    sink.close();
    await tracer.close();
  });

  it('with tracing off, passes the caller context through unchanged', async () => {
    const e = headersEndpoint([200]);
    const sink = new WebhookSink(base, { fetch: e.fetch });
    expect(await sink.apply(action, 'k', parent)).toBe('applied');
    expect(e.headers[0]).toMatchObject({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'x-beamline-trace-id': parent.traceId,
    });
    sink.close();
  });
});

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

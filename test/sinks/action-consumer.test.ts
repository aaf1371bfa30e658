/**
 * ActionConsumer with an in-memory consumer and a fake clock: the interleavings that delivered one
 * block twice to a webhook under CPU load (#14).
 */
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../functions/index.ts';
import { OtlpTracer, parseTraceparent, silentLogger, type PulsarClient } from '../../functions/control-plane.ts';
import { ActionConsumer, type FetchFn } from '../../sinks/index.ts';

interface FakeMessage {
  id: { toString(): string };
  payload: Buffer;
  properties?: Record<string, string>;
}

/** A Shared subscription's consumer as ActionConsumer sees it: deliveries pushed by the test, acks and nacks recorded. */
class FakeConsumer {
  readonly acked: string[] = [];
  readonly nacked: string[] = [];
  #queue: FakeMessage[] = [];
  #waiter: { resolve: (m: FakeMessage) => void; reject: (e: unknown) => void } | undefined;

  deliver(m: FakeMessage): void {
    const w = this.#waiter;
    if (w === undefined) {
      this.#queue.push(m);
      return;
    }
    this.#waiter = undefined;
    w.resolve(m);
  }

  /** What the real receive(250) does when nothing comes: reject with BL_PULSAR_TIMEOUT. */
  idle(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(Object.assign(new Error('timeout'), { code: 'BL_PULSAR_TIMEOUT' }));
  }

  receive(): Promise<FakeMessage> {
    const m = this.#queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  ack(m: FakeMessage): void {
    this.acked.push(m.id.toString());
  }

  nack(m: FakeMessage): void {
    this.nacked.push(m.id.toString());
  }

  async close(): Promise<void> {}
}

function message(entry: number, index: number, eventId: string): FakeMessage {
  const id = `7:${entry}:-1:${index}`;
  return {
    id: { toString: () => id },
    payload: Buffer.from(JSON.stringify({ action: 'block', idempotencyKey: `${eventId}:block`, eventId })),
  };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

async function consumerWith(
  fetch: FetchFn,
  clock: FakeClock,
  sink: Record<string, unknown> = {},
  tracer?: OtlpTracer,
): Promise<{ consumer: ActionConsumer; fake: FakeConsumer }> {
  const fake = new FakeConsumer();
  const client = { subscribe: async () => fake } as unknown as PulsarClient;
  const consumer = await ActionConsumer.create({
    client,
    tenant: 't',
    namespace: 'ns',
    sinks: [{ name: 'blocker', url: 'http://sink.invalid/hook', maxAttempts: 1, volumeThreshold: 100, retryBaseMs: 0, ...sink }],
    fetch,
    clock,
    log: silentLogger,
    ...(tracer === undefined ? {} : { tracer }),
  });
  return { consumer, fake };
}

async function closeAll(consumer: ActionConsumer, fake: FakeConsumer): Promise<void> {
  const closing = consumer.close();
  fake.idle();
  await closing;
}

describe('action consumer', () => {
  it("continues the action's trace (#22): a process span under the worker's publish span, the webhook call below it", async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const exporter = new InMemorySpanExporter();
    const tracer = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0 }, { exporter });
    const sent: Array<Record<string, string>> = [];
    const fetch: FetchFn = async (_url, init) => {
      sent.push(init.headers);
      return { ok: true, status: 200 };
    };
    const { consumer, fake } = await consumerWith(fetch, new FakeClock(), {}, tracer);
    consumer.start();
    fake.deliver({ ...message(3, 0, 'ev-t'), properties: { traceparent } });
    await flush();
    expect(fake.acked).toEqual(['7:3:-1:0']);
    await closeAll(consumer, fake);
    await tracer.flush();
    const spans = exporter.getFinishedSpans();
    const processSpan = spans.find((s) => s.name === 'persistent://t/ns/actions process');
    const post = spans.find((s) => s.name === 'POST');
    expect(processSpan?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(processSpan?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(processSpan?.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'beamline.action.outcome': 'settled' });
    expect(post?.parentSpanContext?.spanId).toBe(processSpan?.spanContext().spanId);
    expect(parseTraceparent(sent[0]?.['traceparent'])?.spanId).toBe(post?.spanContext().spanId);
    expect(sent[0]?.['x-beamline-trace-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    await tracer.close();
  });

  it('never handles one message twice at once: a batch neighbour nacked redelivers the entry while the first is in flight', async () => {
    const clock = new FakeClock();
    const requests: string[] = [];
    let releaseA: (() => void) | undefined;
    const fetch: FetchFn = (_url, init) => {
      const key = init.headers['idempotency-key'] ?? '';
      requests.push(key);
      if (key === 'ev-a:block' && releaseA === undefined)
        return new Promise((resolve) => (releaseA = () => resolve({ ok: true, status: 200 })));
      if (key === 'ev-b:block' && requests.filter((k) => k === key).length === 1) return Promise.resolve({ ok: false, status: 503 });
      return Promise.resolve({ ok: true, status: 200 });
    };
    const { consumer, fake } = await consumerWith(fetch, clock);
    consumer.start();
    // One batch entry with two actions; the webhook is slow for the first and fails the second.
    fake.deliver(message(16, 0, 'ev-a'));
    fake.deliver(message(16, 1, 'ev-b'));
    await flush();
    expect(fake.nacked).toEqual(['7:16:-1:1']);
    // The broker redelivers the whole entry: ev-a comes again while its first delivery is in flight.
    fake.deliver(message(16, 0, 'ev-a'));
    fake.deliver(message(16, 1, 'ev-b'));
    await flush();
    releaseA?.();
    await flush();
    expect(requests.filter((k) => k === 'ev-a:block')).toHaveLength(1);
    expect(requests.filter((k) => k === 'ev-b:block')).toHaveLength(2);
    expect(fake.acked.sort()).toEqual(['7:16:-1:0', '7:16:-1:1']);
    expect(consumer.stats).toMatchObject({ received: 4, acked: 2, redelivered: 1, overlapping: 1 });
    expect(consumer.stats.sinks['blocker']).toMatchObject({ applied: 2, duplicates: 0, deferred: 1 });
    await closeAll(consumer, fake);
  });

  it('sends a key once when two messages carry it at once (an event the worker replayed)', async () => {
    const clock = new FakeClock();
    const requests: string[] = [];
    let release: (() => void) | undefined;
    const fetch: FetchFn = (_url, init) => {
      requests.push(init.headers['idempotency-key'] ?? '');
      return new Promise((resolve) => (release = () => resolve({ ok: true, status: 200 })));
    };
    const { consumer, fake } = await consumerWith(fetch, clock);
    consumer.start();
    fake.deliver(message(20, 0, 'ev-c'));
    fake.deliver(message(21, 0, 'ev-c'));
    await flush();
    release?.();
    await flush();
    expect(requests).toEqual(['ev-c:block']);
    expect(fake.acked.sort()).toEqual(['7:20:-1:0', '7:21:-1:0']);
    expect(consumer.stats.sinks['blocker']).toMatchObject({ applied: 1, duplicates: 1 });
    await closeAll(consumer, fake);
  });

  it('re-sends a key only after an attempt timed out, and aborts that attempt first', async () => {
    const clock = new FakeClock();
    const attempts: { key: string; signal: AbortSignal }[] = [];
    const fetch: FetchFn = (_url, init) => {
      attempts.push({ key: init.headers['idempotency-key'] ?? '', signal: init.signal });
      // The first request is never answered (the receiver may have applied it).
      if (attempts.length === 1) return new Promise(() => {});
      return Promise.resolve({ ok: true, status: 200 });
    };
    const { consumer, fake } = await consumerWith(fetch, clock, { timeoutMs: 1000, maxAttempts: 3 });
    consumer.start();
    fake.deliver(message(30, 0, 'ev-d'));
    await flush();
    expect(attempts).toHaveLength(1);
    await clock.advance(999);
    expect(attempts).toHaveLength(1);
    await clock.advance(1);
    expect(attempts[0]?.signal.aborted).toBe(true);
    await clock.advance(0);
    expect(attempts.map((a) => a.key)).toEqual(['ev-d:block', 'ev-d:block']);
    expect(fake.acked).toEqual(['7:30:-1:0']);
    expect(consumer.stats.sinks['blocker']).toMatchObject({ applied: 1, timeouts: 1, retries: 1, connectionErrors: 0 });
    await closeAll(consumer, fake);
  });
});

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { PrometheusMetrics, silentLogger } from '../../../functions/control-plane.ts';
import type { Message, ReaderApi } from '../../../functions/pulsar/index.ts';
import { ReviewDepth, decodeReviewPayload, tailReviewDepth } from '../../../functions/runtime/index.ts';

const open = (eventId: string): Record<string, unknown> => ({ eventId, status: 'open', score: 0.7 });
const outcome = (eventId: string, status: 'approved' | 'rejected'): Record<string, unknown> => ({
  eventId,
  status,
  type: 'review-outcome',
});

describe('ReviewDepth (#22)', () => {
  it('counts items opened and not yet decided; duplicates and unknown records change nothing', () => {
    const d = new ReviewDepth();
    expect(d.observe(open('a'))).toBe(true);
    expect(d.observe(open('b'))).toBe(true);
    expect(d.observe(open('a'))).toBe(false); // a redelivered item is one item
    expect(d.open).toBe(2);
    expect(d.observe(outcome('a', 'approved'))).toBe(true);
    expect(d.observe(outcome('a', 'rejected'))).toBe(false); // decided once
    expect(d.observe(open('a'))).toBe(false); // a late copy of a decided item stays decided
    expect(d.observe({ eventId: 'b', status: 'approved' })).toBe(false); // not an outcome event
    expect(d.observe({ status: 'open' })).toBe(false); // no id
    expect(d.open).toBe(1);
    expect(d.observe(outcome('b', 'rejected'))).toBe(true);
    expect(d.open).toBe(0);
  });

  it('decodes review messages as JSON (the Avro form is checked in test/models/models.test.ts)', () => {
    const item = { eventId: 'e1', status: 'open', score: 0.8 };
    expect(decodeReviewPayload(Buffer.from(JSON.stringify(item)))).toEqual(item);
    expect(decodeReviewPayload(Buffer.from([0xff, 0x01]))).toBeUndefined();
  });
});

/** A reader over a list the test appends to; iteration waits for more until closed. */
class ListReader implements Partial<ReaderApi> {
  readonly topic = 'persistent://t/ns/review';
  readonly #items: Buffer[] = [];
  #wake: (() => void) | undefined;
  closed = false;
  push(v: unknown): void {
    this.#items.push(Buffer.from(JSON.stringify(v)));
    this.#wake?.();
  }
  async close(): Promise<void> {
    this.closed = true;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Message> {
    let i = 0;
    while (!this.closed) {
      if (i < this.#items.length) yield { payload: this.#items[i++] } as unknown as Message;
      else await new Promise<void>((r) => (this.#wake = r));
    }
  }
}

const gaugeOf = async (m: PrometheusMetrics): Promise<string | undefined> =>
  (await m.render()).match(/^beamline_review_queue_depth_messages\{[^}]*\} (\d+)$/m)?.[1];

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('tailReviewDepth (#22)', () => {
  it('keeps the gauge at the open items as the review topic grows, and stops on close', async () => {
    const reader = new ListReader();
    const metrics = new PrometheusMetrics();
    const tail = tailReviewDepth({
      client: { createReader: async () => reader as unknown as ReaderApi },
      topic: reader.topic,
      tenant: 't',
      namespace: 'ns',
      metrics,
      log: silentLogger,
      clock: new FakeClock(),
    });
    expect(await gaugeOf(metrics)).toBe('0');
    reader.push(open('a'));
    reader.push(open('b'));
    reader.push(open('c'));
    await flush();
    expect(tail.open).toBe(3);
    expect(await gaugeOf(metrics)).toBe('3');
    reader.push(outcome('b', 'approved'));
    await flush();
    expect(await gaugeOf(metrics)).toBe('2');
    expect((await metrics.render()).match(/beamline_review_queue_depth_messages\{([^}]*)\}/)?.[1]).toBe('tenant="t",namespace="ns"');
    await tail.close();
    await tail.close();
    expect(tail.state).toBe('closed');
    expect(reader.closed).toBe(true);
  });

  it('a reader still opening when the tail closes is closed, never left open', async () => {
    const reader = new ListReader();
    let opened: (r: ReaderApi) => void = () => undefined;
    const tail = tailReviewDepth({
      client: { createReader: () => new Promise<ReaderApi>((resolve) => (opened = resolve)) },
      topic: reader.topic,
      tenant: 't',
      namespace: 'ns',
      metrics: new PrometheusMetrics(),
      log: silentLogger,
      clock: new FakeClock(),
    });
    const closing = tail.close();
    opened(reader as unknown as ReaderApi);
    await closing;
    expect(reader.closed).toBe(true);
  });

  it('a reader that cannot open (no permission yet) is tried again after retryMs, never failing the worker', async () => {
    const clock = new FakeClock();
    const reader = new ListReader();
    let attempts = 0;
    const warnings: string[] = [];
    const log = {
      ...silentLogger,
      warn: (_o: unknown, msg: string) => void warnings.push(msg),
      child: () => log,
    } as unknown as typeof silentLogger;
    const tail = tailReviewDepth({
      client: {
        createReader: async () => {
          attempts++;
          if (attempts < 3) throw Object.assign(new Error('not authorized'), { code: 'BL_PULSAR_AUTHORIZATION' });
          return reader as unknown as ReaderApi;
        },
      },
      topic: reader.topic,
      tenant: 't',
      namespace: 'ns',
      metrics: new PrometheusMetrics(),
      log,
      clock,
      retryMs: 30_000,
    });
    await flush();
    expect(attempts).toBe(1);
    await clock.advance(29_000);
    expect(attempts).toBe(1);
    await clock.advance(1_000);
    await flush();
    expect(attempts).toBe(2);
    await clock.advance(30_000);
    await flush();
    expect(attempts).toBe(3);
    // Logged once for the whole failure streak.
    expect(warnings).toEqual(['review queue depth: cannot read the review topic; retrying']);
    reader.push(open('x'));
    await flush();
    expect(tail.open).toBe(1);
    await tail.close();
  });
});

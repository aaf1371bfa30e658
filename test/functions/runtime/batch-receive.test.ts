/**
 * Adaptive batch filling (#18), on a fake clock: no fill wait when input is already buffered,
 * a short one (ended by the first gap) when input is slow, the batch bound respected.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { receiveBatch, type BatchFill, type BatchSource } from '../../../functions/runtime/index.ts';

/** Records that arrive at given monotonic times; receive() waits on the fake clock. */
class ScheduledSource implements BatchSource<number> {
  readonly #clock: FakeClock;
  readonly #arrivals: number[];
  #taken = 0;
  /** The timeouts receive() was called with, in order. */
  readonly waits: number[] = [];

  constructor(clock: FakeClock, arrivals: number[]) {
    this.#clock = clock;
    this.#arrivals = [...arrivals].sort((a, b) => a - b);
  }

  get queued(): number {
    let n = 0;
    for (let i = this.#taken; i < this.#arrivals.length && (this.#arrivals[i] as number) <= this.#clock.monotonic(); i++) n++;
    return n;
  }

  receive(timeoutMs: number): Promise<number | undefined> {
    this.waits.push(timeoutMs);
    if (this.queued > 0) return Promise.resolve(this.#taken++);
    const next = this.#arrivals[this.#taken];
    const until = this.#clock.monotonic() + timeoutMs;
    const at = next === undefined ? until : Math.min(next, until);
    return new Promise((resolve) => {
      this.#clock.setTimeout(() => resolve(this.queued > 0 ? this.#taken++ : undefined), at - this.#clock.monotonic());
    });
  }
}

const FILL: BatchFill = { max: 100, firstWaitMs: 500, fillWaitMs: 20, fillGapMs: 2 };

/** Runs receiveBatch, advancing the fake clock 1 ms at a time until it resolves. */
async function run(clock: FakeClock, source: BatchSource<number>, fill: BatchFill = FILL): Promise<{ batch: number[]; tookMs: number }> {
  const t0 = clock.monotonic();
  let result: number[] | undefined;
  let doneAt = NaN;
  void receiveBatch(source, clock, fill).then((b) => {
    result = b;
    doneAt = clock.monotonic();
  });
  // Let every promise settle before moving time (a yield to the event loop, not a sleep).
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  await settle();
  for (let i = 0; result === undefined && i < 10_000; i++) {
    await clock.advance(1);
    await settle();
  }
  if (result === undefined) throw new Error('receiveBatch never resolved');
  return { batch: result, tookMs: doneAt - t0 };
}

const every = (startMs: number, stepMs: number, n: number): number[] => Array.from({ length: n }, (_, i) => startMs + i * stepMs);

describe('receiveBatch', () => {
  it('takes a full batch at once when more than a batch is buffered', async () => {
    const clock = new FakeClock();
    await clock.advance(100);
    const source = new ScheduledSource(clock, every(0, 0.1, 250));
    const { batch, tookMs } = await run(clock, source);
    expect(batch).toEqual(every(0, 1, 100));
    expect(tookMs).toBe(0);
    expect(source.waits.every((w) => w === 500 || w === 0)).toBe(true);
  });

  it('does not wait to fill when input was already buffered, even with more on the way', async () => {
    const clock = new FakeClock();
    await clock.advance(30);
    // 31 records arrived during the previous batch (one per ms), and they keep coming.
    const source = new ScheduledSource(clock, every(0, 1, 200));
    const { batch, tookMs } = await run(clock, source);
    expect(batch).toHaveLength(31);
    expect(tookMs).toBe(0);
  });

  it('ends the fill of a slow input after one short gap, not the whole fill window', async () => {
    const clock = new FakeClock();
    // Nothing buffered; one record every 10 ms.
    const source = new ScheduledSource(clock, every(10, 10, 20));
    const { batch, tookMs } = await run(clock, source);
    expect(batch).toEqual([0]);
    // 10 ms for the first record, then one 2 ms gap: 12 ms, where a fixed fill waited 30.
    expect(tookMs).toBe(12);
  });

  it('keeps a burst together up to the fill window when nothing was buffered', async () => {
    const clock = new FakeClock();
    // Nothing buffered; a burst of one record per ms from t = 5 ms.
    const source = new ScheduledSource(clock, every(5, 1, 200));
    const { batch, tookMs } = await run(clock, source);
    // The first at 5 ms, then the burst until the 20 ms fill window closes at 25 ms.
    expect(batch).toEqual(every(0, 1, 21));
    expect(tookMs).toBe(25);
  });

  it('stops at the batch size inside a burst', async () => {
    const clock = new FakeClock();
    const source = new ScheduledSource(clock, every(5, 1, 200));
    const { batch, tookMs } = await run(clock, source, { ...FILL, max: 8 });
    expect(batch).toEqual(every(0, 1, 8));
    expect(tookMs).toBe(12);
  });

  it('returns nothing when no record comes within the first wait', async () => {
    const clock = new FakeClock();
    const source = new ScheduledSource(clock, []);
    const { batch, tookMs } = await run(clock, source);
    expect(batch).toEqual([]);
    expect(tookMs).toBe(500);
  });
});

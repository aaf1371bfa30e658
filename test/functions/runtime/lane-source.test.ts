/**
 * The priority lane's input (#26), on a fake clock: buffered priority records go first, a wait
 * ends when either lane gets a record, and nothing is taken from a lane by a wait that lost.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { priorityFirst, receiveBatch, type LaneInput } from '../../../functions/runtime/index.ts';

/** A lane whose records are pushed by the test; whenQueued() waits on the fake clock. */
class FakeLane implements LaneInput<string> {
  readonly #clock: FakeClock;
  readonly #buffer: string[] = [];
  #watchers: Array<(queued: boolean) => void> = [];

  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  push(...records: string[]): void {
    this.#buffer.push(...records);
    for (const w of this.#watchers.splice(0)) w(true);
  }

  get queued(): number {
    return this.#buffer.length;
  }

  take(): string | undefined {
    return this.#buffer.shift();
  }

  whenQueued(timeoutMs: number): Promise<boolean> {
    if (this.#buffer.length > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (queued: boolean): void => {
        this.#clock.clearTimeout(timer);
        resolve(queued);
      };
      const timer = this.#clock.setTimeout(() => {
        this.#watchers = this.#watchers.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.#watchers.push(done);
    });
  }
}

function lanes(): { clock: FakeClock; hi: FakeLane; lo: FakeLane } {
  const clock = new FakeClock();
  return { clock, hi: new FakeLane(clock), lo: new FakeLane(clock) };
}

describe('priorityFirst (#26)', () => {
  it('takes every buffered priority record before any ordinary one, whatever arrived first', async () => {
    const { clock, hi, lo } = lanes();
    lo.push('n1', 'n2', 'n3', 'n4');
    hi.push('p1', 'p2');
    const source = priorityFirst(hi, lo, clock);
    expect(source.queued).toBe(6);
    const batch = await receiveBatch(source, clock, { max: 4, firstWaitMs: 100, fillWaitMs: 20, fillGapMs: 2 });
    expect(batch).toEqual(['p1', 'p2', 'n1', 'n2']);
    // A priority record that arrives while ordinary ones wait goes to the front of the next batch.
    hi.push('p3');
    expect(await receiveBatch(source, clock, { max: 4, firstWaitMs: 100, fillWaitMs: 20, fillGapMs: 2 })).toEqual(['p3', 'n3', 'n4']);
  });

  it('a wait on two empty lanes ends with the first record of either, and the other lane keeps its records', async () => {
    const { clock, hi, lo } = lanes();
    const source = priorityFirst(hi, lo, clock);
    const first = source.receive(500);
    await clock.advance(100);
    hi.push('p1');
    await clock.advance(0);
    expect(await first).toBe('p1');
    const second = source.receive(500);
    await clock.advance(50);
    lo.push('n1');
    await clock.advance(0);
    expect(await second).toBe('n1');
    // The wait that lost (on the priority lane) took nothing: a later record is still there.
    hi.push('p2');
    expect(await source.receive(0)).toBe('p2');
    expect(source.queued).toBe(0);
  });

  it('gives up after the timeout when neither lane gets a record', async () => {
    const { clock, hi, lo } = lanes();
    const source = priorityFirst(hi, lo, clock);
    let settled: string | undefined | null = null;
    void source.receive(200).then((m) => (settled = m));
    await clock.advance(199);
    expect(settled).toBeNull();
    await clock.advance(1);
    expect(settled).toBeUndefined();
    // No waiting receive is left behind to take a later record.
    lo.push('n1');
    expect(await source.receive(0)).toBe('n1');
  });
});

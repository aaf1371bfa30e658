import { describe, expect, it } from 'vitest';
import { FirstSendGate } from '../../../functions/runtime/index.ts';

/** A prime the test ends by hand. */
function deferred(): { run: () => Promise<void>; calls: () => number; resolve: () => void; reject: (e: Error) => void } {
  let calls = 0;
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const p = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return {
    run: () => {
      calls++;
      return p;
    },
    calls: () => calls,
    resolve,
    reject,
  };
}

describe('FirstSendGate', () => {
  it('runs the first prime of a key once; every caller waits for it', async () => {
    const gate = new FirstSendGate<string>();
    const d = deferred();
    const order: string[] = [];
    const a = gate.pass('predictions', d.run).then(() => order.push('a'));
    const b = gate.pass('predictions', d.run).then(() => order.push('b'));
    await Promise.resolve();
    expect(order).toEqual([]);
    d.resolve();
    await Promise.all([a, b]);
    expect(d.calls()).toBe(1);
    expect(order).toEqual(['a', 'b']);
    await gate.pass('predictions', d.run);
    expect(d.calls()).toBe(1);
  });

  it('keeps keys apart', async () => {
    const gate = new FirstSendGate<string>();
    const d1 = deferred();
    const d2 = deferred();
    void gate.pass('predictions', d1.run);
    const other = gate.pass('actions', d2.run);
    d2.resolve();
    await other;
    expect([d1.calls(), d2.calls()]).toEqual([1, 1]);
  });

  it('forgets a failed prime: its waiters see the error, the next caller primes again', async () => {
    const gate = new FirstSendGate<string>();
    const d = deferred();
    const first = gate.pass('review', d.run);
    const waiter = gate.pass('review', d.run);
    d.reject(new Error('broker said no'));
    await expect(first).rejects.toThrow('broker said no');
    await expect(waiter).rejects.toThrow('broker said no');
    const again = deferred();
    const retry = gate.pass('review', again.run);
    again.resolve();
    await retry;
    expect(again.calls()).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { silentLogger } from '../../../functions/control-plane.ts';
import type { Message, PulsarClient } from '../../../functions/pulsar/index.ts';
import { ChangelogAccumulator, readToEnd, StateStandby } from '../../../functions/runtime/index.ts';

/**
 * A state partition and a reader of it: `topic` holds what the broker has, `sent` how far it was
 * delivered into the reader's queue (up to `queueSize` ahead of what was taken).
 */
class FakePartition {
  readonly topic: Message[] = [];
  taken = 0;
  closed = false;
  readonly queueSize = 3;
  append(key: string, value: string | undefined, properties: Record<string, string> = {}): void {
    this.topic.push({
      key,
      payload: Buffer.from(value ?? ''),
      nullValue: value === undefined,
      properties,
    } as unknown as Message);
  }
  reader() {
    return {
      get queued(): number {
        return Math.min(this.part.queueSize, this.part.topic.length - this.part.taken);
      },
      part: this as FakePartition,
      async hasMessageAvailable(): Promise<boolean> {
        return this.part.topic.length > this.part.taken;
      },
      async readNext(): Promise<Message> {
        const m = this.part.topic[this.part.taken];
        if (m === undefined) throw new Error('readNext past the end (the standby must ask first)');
        this.part.taken++;
        return m;
      },
      async close(): Promise<void> {
        this.part.closed = true;
      },
    };
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 50; i++) await Promise.resolve();
};

function standbyOn(part: FakePartition | Error, clock: FakeClock): StateStandby {
  const client = {
    createReader: async () => {
      if (part instanceof Error) throw part;
      return part.reader();
    },
  } as unknown as PulsarClient;
  return new StateStandby({ client, log: silentLogger, clock }, 'persistent://t/ns/state-partition-0', 5_000);
}

/** What a full restore reads: every record folded, as pulsar-io's readChangelog does. */
function fullRead(part: FakePartition) {
  const acc = new ChangelogAccumulator();
  for (const m of part.topic) acc.apply(m);
  return acc.snapshot();
}

describe('StateStandby (#17)', () => {
  it('reads to the end, keeps up as the partition grows, and hands over what a full read gives', async () => {
    const part = new FakePartition();
    for (let i = 0; i < 10; i++) part.append(`h/k${i}`, JSON.stringify({ count: i }));
    part.append('w/win-1', 'open', { 'beamline.expires-at-ms': '5000' });
    part.append('t/replica-a', 'marker-1');
    const clock = new FakeClock();
    const standby = standbyOn(part, clock);
    standby.start();
    await standby.caughtUp();
    expect(standby.keys).toBe(11);
    // Committed later: updates, a delete, a new key; drained on the clock, a queue-full at a time.
    part.append('h/k1', JSON.stringify({ count: 100 }));
    part.append('h/k2', undefined);
    part.append('h/k10', JSON.stringify({ count: 10 }));
    part.append('h/k11', JSON.stringify({ count: 11 }));
    for (let i = 0; i < 3; i++) {
      await clock.advance(50);
      await flush();
    }
    expect(part.taken).toBe(part.topic.length);
    part.append('h/k3', JSON.stringify({ count: 33 }));
    const warm = await standby.take();
    expect(warm?.caughtUp).toBe(1);
    expect(warm?.snapshot).toEqual(fullRead(part));
    expect(warm?.snapshot.markers.get('replica-a')).toBe('marker-1');
    expect(warm?.snapshot.windows).toEqual([{ key: 'win-1', value: Buffer.from('open'), expiresAtMs: 5000 }]);
    expect(warm?.snapshot.state.find((r) => r.key === 'k2')).toBeUndefined();
    expect(part.closed).toBe(true);
    expect(standby.state).toBe('taken');
    // Taken once: a second take gives nothing, and close is harmless.
    expect(await standby.take()).toBeUndefined();
    await standby.close();
    await standby.close();
    expect(standby.state).toBe('closed');
  });

  it("take(until) ends at the new owner's fence record, also when tailing already read it", async () => {
    const part = new FakePartition();
    part.append('h/a', '1');
    const clock = new FakeClock();
    const standby = standbyOn(part, clock);
    standby.start();
    await standby.caughtUp();
    part.append('t/fence-0', 'claim-1');
    await clock.advance(50);
    await flush();
    expect(part.taken).toBe(2);
    const warm = await standby.take({ key: 't/fence-0', value: 'claim-1' });
    expect(warm?.snapshot).toEqual(fullRead(part));
  });

  it('take() during the first read waits for it and still reads to the end', async () => {
    const part = new FakePartition();
    for (let i = 0; i < 500; i++) part.append(`h/k${i}`, String(i));
    const standby = standbyOn(part, new FakeClock());
    standby.start();
    const warm = await standby.take();
    expect(warm?.snapshot).toEqual(fullRead(part));
  });

  it('hands nothing over when its reader failed (the restore then reads the partition), and close() is idempotent', async () => {
    const standby = standbyOn(new Error('broker down'), new FakeClock());
    standby.start();
    await standby.caughtUp();
    expect(standby.state).toBe('failed');
    expect(await standby.take()).toBeUndefined();
    await standby.close();
    await standby.close();
    expect(standby.state).toBe('closed');
  });

  it('close() stops tailing and closes the reader; nothing is drained after it', async () => {
    const part = new FakePartition();
    part.append('h/a', '1');
    const clock = new FakeClock();
    const standby = standbyOn(part, clock);
    standby.start();
    await standby.caughtUp();
    await standby.close();
    expect(part.closed).toBe(true);
    part.append('h/b', '2');
    await clock.advance(500);
    await flush();
    expect(part.taken).toBe(1);
    expect(await standby.take()).toBeUndefined();
  });
});

describe("readToEnd (#17: a restore reads on to the new owner's fence record)", () => {
  /** A reader over `part` whose broker names only the first `visible` records as available. */
  function limited(part: FakePartition, visible: () => number) {
    const r = part.reader();
    return {
      hasMessageAvailable: async () => part.taken < Math.min(visible(), part.topic.length),
      readNext: r.readNext.bind(r),
    };
  }

  it('does not stop at "nothing available" before the fence record, and stops right after it', async () => {
    const part = new FakePartition();
    part.append('h/a', '1');
    part.append('h/a', '2');
    part.append('t/fence-0', 'claim-1');
    part.append('h/b', 'later');
    // The broker names one record only (an undecided transaction hides the rest).
    const acc = new ChangelogAccumulator();
    await readToEnd(
      limited(part, () => 1),
      acc,
      { key: 't/fence-0', value: 'claim-1' },
      1_000,
    );
    expect(part.taken).toBe(3);
    expect(acc.snapshot().state).toEqual([{ key: 'a', value: Buffer.from('2') }]);
    // Without the fence record it stops where the broker says.
    const part2 = new FakePartition();
    part2.append('h/a', '1');
    part2.append('h/a', '2');
    const acc2 = new ChangelogAccumulator();
    await readToEnd(
      limited(part2, () => 1),
      acc2,
      undefined,
      1_000,
    );
    expect(acc2.snapshot().state).toEqual([{ key: 'a', value: Buffer.from('1') }]);
  });

  it('an older fence record of the partition does not end the read; one read already does', async () => {
    const part = new FakePartition();
    part.append('t/fence-0', 'claim-0');
    part.append('h/a', '1');
    part.append('t/fence-0', 'claim-1');
    const acc = new ChangelogAccumulator();
    await readToEnd(
      limited(part, () => 0),
      acc,
      { key: 't/fence-0', value: 'claim-1' },
      1_000,
    );
    expect(part.taken).toBe(3);
    // Read again with the record already in: nothing more is needed.
    await readToEnd(
      limited(part, () => 0),
      acc,
      { key: 't/fence-0', value: 'claim-1' },
      1_000,
    );
    expect(part.taken).toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { silentLogger } from '../../../functions/control-plane.ts';
import type { Message, PulsarClient } from '../../../functions/pulsar/index.ts';
import { ChangelogAccumulator, StateStandby } from '../../../functions/runtime/index.ts';

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

/** A standby of `part`, started and through its first read to the end. */
async function tailing(part: FakePartition, clock: FakeClock): Promise<StateStandby> {
  const standby = standbyOn(part, clock);
  standby.start();
  await standby.caughtUp();
  return standby;
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
    const standby = await tailing(part, clock);
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
    const standby = await tailing(part, clock);
    await standby.close();
    expect(part.closed).toBe(true);
    part.append('h/b', '2');
    await clock.advance(500);
    await flush();
    expect(part.taken).toBe(1);
    expect(await standby.take()).toBeUndefined();
  });
});

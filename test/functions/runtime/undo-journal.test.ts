import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import type { EventRecord, HandlerContext } from '../../../functions/contract.ts';
import { jsonSchema } from '../../../functions/pulsar/index.ts';
import { HandlerEngine, Ingress, NamespaceWorker, schemaDecoder, type ChangelogSnapshot } from '../../../functions/runtime/index.ts';
import { InMemoryWorkerIo } from '../../../functions/runtime/testing/index.ts';
import { JournaledStore, MAX_JOURNALED_KEYS } from '../../../functions/runtime/undo-journal.ts';
import { InMemoryStore, createStateStore } from '../../../functions/state/index.ts';
import type { WindowResult } from '../../../functions/windows/index.ts';

describe('JournaledStore', () => {
  it('puts every key back as it was at the checkpoint: values, in-place mutations, new keys, deletes and TTLs', async () => {
    const clock = new FakeClock(1_000_000);
    const s = createStateStore<{ n: number }>({ clock });
    const j = new JournaledStore(s.store, () => clock.now());
    j.put('a', { n: 1 });
    j.put('b', { n: 2 }, { ttlMs: 60_000 });
    j.put('gone', { n: 3 });
    s.flush();
    j.checkpoint();

    j.put('a', { n: 10 });
    const b = j.get('b') as { n: number };
    b.n = 20; // mutated in place, never put back
    j.delete('gone');
    j.put('new', { n: 4 });
    await clock.advance(1_000);
    expect(j.rollback()).toBe(true);

    expect([...j.entries()].sort()).toEqual([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
      ['gone', { n: 3 }],
    ]);
    expect(j.expiresAt('b')).toBe(1_000_000 + 60_000);
    expect(j.expiresAt('a')).toBeUndefined();
    // The undo is recorded, so the flush ends with the checkpoint's value of every key the
    // batch wrote (last record per key wins on the compacted topic; empty = tombstone).
    const last = new Map(s.flush().map((c) => [c.key, Buffer.from(c.value).toString()]));
    expect(Object.fromEntries(last)).toEqual({ a: '{"n":1}', b: '{"n":2}', gone: '{"n":3}', new: '' });
  });

  it('writes nothing back for keys that were only read', () => {
    const clock = new FakeClock(0);
    const s = createStateStore<number>({ clock });
    const j = new JournaledStore(s.store, () => clock.now());
    j.put('a', 1);
    s.flush();
    j.checkpoint();
    expect(j.get('a')).toBe(1);
    expect(j.get('absent')).toBeUndefined();
    expect(j.rollback()).toBe(true);
    expect(s.flush()).toEqual([]);
  });

  it('gives up (rollback refused, journal dropped) past MAX_JOURNALED_KEYS, and works again after a checkpoint', () => {
    const inner = new InMemoryStore<number>();
    const j = new JournaledStore(inner, () => 0);
    for (let i = 0; i <= MAX_JOURNALED_KEYS; i++) j.put(`k${i}`, i);
    expect(j.journaled).toBe(0);
    expect(j.rollback()).toBe(false);
    j.checkpoint();
    j.put('k0', -1);
    expect(j.rollback()).toBe(true);
    expect(j.get('k0')).toBe(0);
  });

  it('refuses to roll back when a value cannot be journaled', () => {
    const inner = new InMemoryStore<unknown>();
    const j = new JournaledStore(inner, () => 0);
    inner.put('big', 10n); // a bigint JSON would bring back as the number 10
    expect(j.get('big')).toBe(10n);
    expect(j.rollback()).toBe(false);
  });

  it('rolls back a 64-bit value beyond 2^53 exactly (an Avro long as bigint)', () => {
    const inner = new InMemoryStore<unknown>();
    const j = new JournaledStore(inner, () => 0);
    inner.put('n', { v: 2n ** 63n - 1n });
    j.checkpoint();
    j.put('n', { v: 1 });
    expect(j.rollback()).toBe(true);
    expect(j.get('n')).toEqual({ v: 2n ** 63n - 1n });
  });
});

interface Pay {
  card: string;
  amount: number;
}

const rec = (card: string, amount: number, eventTimeMs: number): EventRecord<Pay> => ({
  key: card,
  eventTimeMs,
  publishTimeMs: eventTimeMs,
  properties: {},
  messageId: `${card}:${eventTimeMs}`,
  topic: 'persistent://t/ns/events',
  value: { card, amount },
});

function windowEngine(clock: FakeClock): HandlerEngine<Pay> {
  return new HandlerEngine<Pay>({
    tenant: 't',
    namespace: 'ns',
    topic: 'persistent://t/ns/events',
    clock,
    windows: { type: 'session', gapMs: 1000, aggregate: 'sum', extract: (v) => v.amount, allowedLatenessMs: 500 },
    process: (r: EventRecord<WindowResult>, ctx: HandlerContext) => {
      ctx.state.put(`seen:${r.key}`, ((ctx.state.get(`seen:${r.key}`) as number | undefined) ?? 0) + 1);
      ctx.emit({ key: r.key, start: r.value.startMs, end: r.value.endMs, sum: r.value.value, trigger: r.value.trigger });
    },
  });
}

describe('HandlerEngine rollback', () => {
  it('after a rolled-back batch, windows, watermark and state behave as if it never ran', async () => {
    const first = [rec('a', 1, 1000), rec('a', 2, 1500), rec('b', 5, 1200)];
    const failed = [rec('a', 4, 2400), rec('b', 7, 5000), rec('a', 8, 1900)];
    const after = [rec('a', 16, 3000), rec('b', 32, 9000), rec('a', 64, 20_000)];
    const run = async (e: HandlerEngine<Pay>, records: EventRecord<Pay>[]): Promise<unknown[]> => {
      const out: unknown[] = [];
      for (const r of records) out.push(...(await e.run(r)).emitted.map((x) => x.value));
      return out;
    };

    const reference = windowEngine(new FakeClock(0));
    await run(reference, first);
    const want = await run(reference, after);

    const engine = windowEngine(new FakeClock(0));
    await run(engine, first);
    engine.flush();
    engine.checkpoint();
    expect(await run(engine, failed)).not.toEqual([]); // it fired windows and changed state
    expect(engine.rollback()).toBe(true);
    expect(engine.watermarkMs).toBe(1500); // as after `first`
    expect(await run(engine, after)).toEqual(want);
    expect([...engine.state.entries()]).toEqual([...reference.state.entries()]);
  });
});

describe('NamespaceWorker with a failing handler', () => {
  it('undoes the failed record in memory: the state topic is read once, at start', async () => {
    class CountingIo extends InMemoryWorkerIo {
      reads = 0;
      override async readChangelog(): Promise<ChangelogSnapshot> {
        this.reads++;
        return super.readChangelog();
      }
    }
    const io = new CountingIo();
    const schema = jsonSchema<Pay>({
      type: 'record',
      name: 'Pay',
      fields: [
        { name: 'card', type: 'string' },
        { name: 'amount', type: 'double' },
      ],
    });
    const w = NamespaceWorker.create<Pay>(
      { tenant: 't', namespace: 'ns', batchMaxRecords: 10, batchMaxWaitMs: 0, httpPort: -1, handlerRetries: 0 },
      {
        io,
        ingress: new Ingress({ decode: schemaDecoder(schema) }),
        handler: {
          process: (r: EventRecord<Pay>, ctx: HandlerContext) => {
            const total = ((ctx.state.get(r.value.card) as number | undefined) ?? 0) + r.value.amount;
            ctx.state.put(r.value.card, total);
            if (r.value.amount < 0) throw new Error('negative');
            ctx.emit(total);
          },
        },
      },
    );
    await w.start();
    const pay = (card: string, amount: number): { key: string; payload: Buffer } => ({
      key: card,
      payload: Buffer.from(JSON.stringify({ card, amount })),
    });
    io.push(pay('a', 1), pay('a', -5), pay('b', 2), pay('a', -7), pay('a', 3));
    await io.acknowledged(5);
    await w.drain();
    expect(io.output('predictions').map((o) => JSON.parse(o.payload.toString()) as number)).toEqual([1, 2, 4]);
    expect(io.output('dead-letter')).toHaveLength(2);
    expect(io.reads).toBe(1);
    expect(JSON.parse(Buffer.from(io.stateTopic.get('h/a')?.value ?? []).toString())).toBe(4);
  });
});

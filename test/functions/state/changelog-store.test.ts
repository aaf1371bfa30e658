import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { PrometheusMetrics } from '../../../functions/telemetry.ts';
import {
  ChangelogStore,
  createStateStore,
  InMemoryStore,
  jsonSerde,
  MeteredStore,
  StateLimitError,
  type ChangeRecord,
} from '../../../functions/state/index.ts';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('ChangelogStore', () => {
  it('records every put and delete in order, as bytes with tombstones, until flushed', () => {
    const clock = new FakeClock(1_000);
    const store = new ChangelogStore(new InMemoryStore<unknown>({ clock }), { clock });
    store.put('a', { n: 1 });
    store.put('b', 'two', { ttlMs: 50 });
    store.delete('a');
    store.put('a', [3]);
    expect(store.pendingChanges).toBe(4);
    const changes = store.flush();
    expect(changes.map((c) => [c.key, text(c.value), c.expiresAtMs])).toEqual([
      ['a', '{"n":1}', undefined],
      ['b', '"two"', 1_050],
      ['a', '', undefined],
      ['a', '[3]', undefined],
    ]);
    expect(store.flush()).toEqual([]);
  });

  it('writes tombstones for keys purged by TTL', async () => {
    const clock = new FakeClock(0);
    const store = new ChangelogStore(new InMemoryStore<number>({ clock }), { clock });
    store.put('t', 1, { ttlMs: 10 });
    store.flush();
    await clock.advance(10);
    expect(store.purgeExpired()).toEqual(['t']);
    expect(store.flush()).toEqual([{ key: 't', value: new Uint8Array(0) }]);
  });

  it('restoring from the changelog reproduces the same state, TTLs included', async () => {
    const clock = new FakeClock(0);
    const original = new ChangelogStore(new InMemoryStore<unknown>({ clock }), { clock });
    const log: ChangeRecord[] = [];
    original.put('x', 1);
    original.put('y', { deep: ['v'] }, { ttlMs: 100 });
    original.put('z', 'gone');
    log.push(...original.flush());
    original.delete('z');
    original.put('x', 2);
    original.put('w', 'expires soon', { ttlMs: 20 });
    log.push(...original.flush());

    await clock.advance(30);
    const restored = new ChangelogStore(new InMemoryStore<unknown>({ clock }), { clock });
    restored.put('stale', 'dropped by restore');
    restored.restore(log);
    expect([...restored.entries()]).toEqual([...original.entries()]);
    expect([...restored.entries()]).toEqual([
      ['x', 2],
      ['y', { deep: ['v'] }],
    ]);
    expect(restored.expiresAt('y')).toBe(100);
    expect(restored.flush()).toEqual([]);
    await clock.advance(70);
    expect(restored.get('y')).toBeUndefined();
  });

  it('refuses values over maxValueBytes without changing state', () => {
    const store = new ChangelogStore(new InMemoryStore<string>(), { maxValueBytes: 8 });
    store.put('ok', 'abc');
    expect(() => store.put('big', 'abcdefghij')).toThrow(StateLimitError);
    expect(store.get('big')).toBeUndefined();
    expect(store.flush().map((c) => c.key)).toEqual(['ok']);
    expect(() => store.restore([{ key: 'big', value: new Uint8Array(9) }])).toThrow(/maxValueBytes/);
  });

  it('refuses values JSON cannot carry', () => {
    const store = new ChangelogStore(new InMemoryStore<unknown>(), { serde: jsonSerde() });
    expect(() => store.put('u', undefined)).toThrow(expect.objectContaining({ code: 'BL_STATE_SERIALIZE_FAILED' }));
    expect(store.size()).toBe(0);
  });
});

describe('ChangelogStore with coalesce', () => {
  it('flushes one record per changed key, in order of last change, serialized at flush', async () => {
    const clock = new FakeClock(0);
    const store = new ChangelogStore(new InMemoryStore<unknown>({ clock }), { clock, coalesce: true });
    store.put('a', 1);
    store.put('b', 1, { ttlMs: 10 });
    store.put('a', 2);
    store.put('c', 'gone');
    store.delete('c');
    store.put('d', 'expires before the flush', { ttlMs: 5 });
    expect(store.pendingChanges).toBe(4);
    await clock.advance(5);
    expect(store.flush().map((c) => [c.key, text(c.value), c.expiresAtMs])).toEqual([
      ['b', '1', 10],
      ['a', '2', undefined],
      ['c', '', undefined],
      ['d', '', undefined],
    ]);
    expect(store.flush()).toEqual([]);
  });

  it('reports limit errors from flush and keeps the changes pending', () => {
    const store = new ChangelogStore(new InMemoryStore<string>(), { coalesce: true, maxValueBytes: 4 });
    store.put('k', 'too long');
    expect(() => store.flush()).toThrow(StateLimitError);
    expect(store.pendingChanges).toBe(1);
  });
});

describe('MeteredStore and createStateStore', () => {
  it('Metered(Changelog(InMemory)) counts operations and exposes size gauges', async () => {
    const metrics = new PrometheusMetrics();
    const clock = new FakeClock(0);
    const store = new MeteredStore(new ChangelogStore(new InMemoryStore<number>({ clock }), { clock }), metrics, {
      store: 's1',
    });
    store.put('a', 1);
    store.put('b', 2);
    store.get('a');
    store.get('zz');
    store.delete('b');
    const text = await metrics.render();
    expect(text).toContain('beamline_state_puts_total{store="s1"} 2');
    expect(text).toContain('beamline_state_gets_total{store="s1"} 2');
    expect(text).toContain('beamline_state_deletes_total{store="s1"} 1');
    expect(text).toContain('beamline_state_keys{store="s1"} 1');
    expect(text).toMatch(/beamline_state_bytes\{store="s1"\} [1-9]\d*/);
  });

  it('createStateStore flushes and restores through the composed store', () => {
    const clock = new FakeClock(0);
    const a = createStateStore<number>({ clock, name: 'a' });
    a.store.put('k1', 1);
    a.store.put('k2', 2);
    a.store.delete('k1');
    const log = a.flush();
    expect(log.map((c) => c.key)).toEqual(['k1', 'k2', 'k1']);
    const b = createStateStore<number>({ clock, name: 'b' });
    b.restore(log);
    expect([...b.store.entries()]).toEqual([['k2', 2]]);
    expect(b.flush()).toEqual([]);
  });
});

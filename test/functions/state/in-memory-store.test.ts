import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { ConfigError } from '../../../functions/errors.ts';
import { InMemoryStore, StateLimitError } from '../../../functions/state/index.ts';

describe('InMemoryStore', () => {
  it('gets, puts, deletes and lists entries in insertion order', () => {
    const store = new InMemoryStore<number>({ clock: new FakeClock() });
    store.put('a', 1);
    store.put('b', 2);
    store.put('a', 3);
    expect(store.get('a')).toBe(3);
    expect(store.get('missing')).toBeUndefined();
    expect([...store.entries()]).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
    expect(store.size()).toBe(2);
    expect(store.delete('a')).toBe(true);
    expect(store.delete('a')).toBe(false);
    expect(store.size()).toBe(1);
    store.clear();
    expect(store.size()).toBe(0);
    expect(store.approxBytes()).toBe(0);
  });

  it('expires keys by TTL on the injected clock and purges them', async () => {
    const clock = new FakeClock(1_000);
    const store = new InMemoryStore<string>({ clock, defaultTtlMs: 100 });
    store.put('short', 'x');
    store.put('long', 'y', { ttlMs: 500 });
    store.put('forever', 'z', { ttlMs: 0 });
    expect(store.expiresAt('short')).toBe(1_100);
    expect(store.expiresAt('forever')).toBeUndefined();
    await clock.advance(99);
    expect(store.get('short')).toBe('x');
    await clock.advance(1);
    expect(store.get('short')).toBeUndefined();
    expect([...store.entries()].map(([k]) => k)).toEqual(['long', 'forever']);
    expect(store.size()).toBe(3);
    expect(store.purgeExpired()).toEqual(['short']);
    expect(store.size()).toBe(2);
    await clock.advance(400);
    expect(store.purgeExpired()).toEqual(['long']);
    expect(store.get('forever')).toBe('z');
  });

  it('a put without TTL over a TTL key makes it permanent', async () => {
    const clock = new FakeClock(0);
    const store = new InMemoryStore<number>({ clock });
    store.put('k', 1, { ttlMs: 10 });
    store.put('k', 2);
    await clock.advance(20);
    expect(store.get('k')).toBe(2);
    expect(store.purgeExpired()).toEqual([]);
  });

  it('refuses new keys past maxKeys with a typed error, after reclaiming expired ones', async () => {
    const clock = new FakeClock(0);
    const store = new InMemoryStore<number>({ clock, maxKeys: 2 });
    store.put('a', 1, { ttlMs: 5 });
    store.put('b', 2);
    store.put('b', 3);
    await clock.advance(5);
    store.put('c', 4);
    const err = (() => {
      try {
        store.put('d', 5);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(StateLimitError);
    expect((err as StateLimitError).code).toBe('BL_STATE_TOO_MANY_KEYS');
    expect(store.get('d')).toBeUndefined();
  });

  it('rejects bad options and TTLs with ConfigError naming the field', () => {
    expect(() => new InMemoryStore({ maxKeys: 0 })).toThrow(/state\.maxKeys: invalid value 0/);
    expect(() => new InMemoryStore({ defaultTtlMs: -1 })).toThrow(ConfigError);
    const store = new InMemoryStore<number>();
    expect(() => store.put('k', 1, { ttlMs: 1.5 })).toThrow(/put\.ttlMs/);
  });

  it('tracks an approximate byte size that goes back to zero', () => {
    const store = new InMemoryStore<{ s: string }>({ clock: new FakeClock() });
    store.put('k', { s: 'hello' });
    const one = store.approxBytes();
    expect(one).toBeGreaterThan(0);
    store.put('k', { s: 'hello world, longer' });
    expect(store.approxBytes()).toBeGreaterThan(one);
    store.delete('k');
    expect(store.approxBytes()).toBe(0);
  });
});

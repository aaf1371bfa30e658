import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import {
  BatchAcks,
  boostHash,
  DeadlineTicker,
  javaStringHash,
  keyPartition,
  murmur3Hash,
  parseServiceUrl,
} from '../../../../functions/pulsar/client/index.ts';
import { compileConsumerOptions, compileProducerOptions } from '../../../../functions/pulsar/api/index.ts';
import { parseTopicName } from '../../../../functions/pulsar/topic/index.ts';

describe('partition routing hashes', () => {
  it('JavaStringHash equals Java String.hashCode() & Integer.MAX_VALUE', () => {
    expect(javaStringHash('abc')).toBe(96354);
    expect(javaStringHash('key-1')).toBe(101943363);
    expect(javaStringHash('order-42')).toBe(1234255197);
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('héllo')).toBe(103094734);
    expect(javaStringHash('a'.repeat(40))).toBe(1042809472);
  });

  it('Murmur3_32 matches the reference vectors (seed 0, masked)', () => {
    expect(murmur3Hash('')).toBe(0);
    expect(murmur3Hash('hello')).toBe(0x248bfa47 & 0x7fffffff);
    expect(murmur3Hash('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723 & 0x7fffffff);
  });

  it('BoostHash routes keys where the official Python client (C++ core) does', () => {
    // Recorded with the Python client 3.13.0 against the dev broker: a 13-partition topic,
    // default producer, `producer.send(b'x', partition_key=key).partition()` per key.
    const python: Record<string, number> = {
      a: 11,
      b: 4,
      'key-0': 6,
      'key-1': 9,
      'key-2': 6,
      'hello world': 10,
      'user-12345': 8,
      ABCDEFGH: 1,
      abcdefghijklmnop: 5,
      ünïcödé: 7,
      ['x'.repeat(100)]: 11,
      '1234567': 1,
      '123456789012': 10,
    };
    for (const [key, partition] of Object.entries(python)) expect([key, keyPartition(key, 13, 'boost')]).toEqual([key, partition]);
    expect(boostHash('a')).toBeGreaterThanOrEqual(0);
    expect(compileProducerOptions({ topic: 't', hashingScheme: 'boost' }).hashingScheme).toBe('boost');
  });

  it('routes keys as hash mod partitions', () => {
    expect(keyPartition('abc', 7, 'java-string')).toBe(96354 % 7);
    expect(keyPartition('key-1', 3, 'java-string')).toBe(101943363 % 3);
  });
});

describe('topic names and urls', () => {
  it('expands short names and recognises partitions', () => {
    expect(parseTopicName('orders').full).toBe('persistent://public/default/orders');
    const p = parseTopicName('persistent://t/ns/orders-partition-3');
    expect(p.partition).toBe(3);
    expect(p.base).toBe('persistent://t/ns/orders');
    expect(parseTopicName('non-persistent://t/ns/x').domain).toBe('non-persistent');
    expect(() => parseTopicName('a/b')).toThrow(expect.objectContaining({ code: 'BL_PULSAR_INVALID_TOPIC_NAME' }));
  });

  it('parses single and multi-host service urls', () => {
    expect(parseServiceUrl('pulsar://127.0.0.1:6650')).toEqual([
      { url: 'pulsar://127.0.0.1:6650', host: '127.0.0.1', port: 6650, tls: false },
    ]);
    expect(parseServiceUrl('pulsar+ssl://a:6651,b').map((a) => [a.host, a.port, a.tls])).toEqual([
      ['a', 6651, true],
      ['b', 6651, true],
    ]);
    expect(() => parseServiceUrl('http://x')).toThrow(expect.objectContaining({ code: 'BL_PULSAR_INVALID_URL' }));
  });
});

describe('DeadlineTicker', () => {
  it('runs many deadlines on one timer and disarms when empty', async () => {
    const clock = new FakeClock();
    const t = new DeadlineTicker(clock);
    const fired: number[] = [];
    const entries = Array.from({ length: 1000 }, (_, i) => t.add(1000 + i, () => fired.push(i)));
    expect(clock.pendingTimers).toBe(1);
    for (const e of entries.slice(0, 990)) t.cancel(e);
    await clock.advance(1000 + 995);
    expect(fired).toEqual([990, 991, 992, 993, 994, 995]);
    await clock.advance(100);
    expect(fired).toEqual([990, 991, 992, 993, 994, 995, 996, 997, 998, 999]);
    expect(t.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('BatchAcks', () => {
  it('completes an entry only when every index is acked, and encodes ack_set words', () => {
    const b = new BatchAcks();
    const k = BatchAcks.key(1n, 2n);
    let s = b.ack(k, 70, 0);
    expect(s.remaining).toBe(69);
    expect(BatchAcks.unackedBits(s)).toEqual([-2n, 0b111111n]);
    for (let i = 1; i < 70; i++) s = b.ack(k, 70, i);
    expect(s.remaining).toBe(0);
    expect(b.size).toBe(0);
    expect(BatchAcks.bitSet([0b100n], 2)).toBe(true);
    expect(BatchAcks.bitSet([0b100n], 1)).toBe(false);
    expect(BatchAcks.bitSet([-1n], 63)).toBe(true);
  });
});

describe('options', () => {
  it('fills defaults and rejects bad values with ConfigError', () => {
    const p = compileProducerOptions({ topic: 't' });
    expect(p).toMatchObject({
      batching: true,
      batchingMaxMessages: 1000,
      compression: 'none',
      accessMode: 'Shared',
      hashingScheme: 'java-string',
    });
    expect(Object.isFrozen(p)).toBe(true);
    expect(() => compileProducerOptions({ topic: 't', compression: 'gzip' as never })).toThrow(
      expect.objectContaining({ code: 'BL_CONFIG_INVALID' }),
    );
    expect(() => compileConsumerOptions({ subscription: 's' })).toThrow(expect.objectContaining({ code: 'BL_CONFIG_INVALID' }));
    const c = compileConsumerOptions({ topicsPattern: 'public/default/foo-.*', subscription: 's' });
    expect(c.topicsPattern?.test('persistent://public/default/foo-1')).toBe(true);
    expect(c.topicsPattern?.test('persistent://public/default/bar')).toBe(false);
    expect(c.initialPosition).toBe('Latest');
  });
});

import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../../functions/pulsar/wire/index.ts';

/** Bit-at-a-time CRC32C: slow, obviously right, the yardstick for the table-driven one. */
function reference(buf: Uint8Array): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('matches the published CRC-32C check value and RFC 3720 vectors', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('is not the IEEE crc32 that node:zlib computes', async () => {
    const zlib = await import('node:zlib');
    const data = Buffer.from('pulsar');
    expect(crc32c(data)).not.toBe(zlib.crc32(data));
  });

  it('continues across slices and agrees with a bytewise reference at every length', () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) & 0xff));
    for (let n = 0; n <= data.length; n += 13) {
      expect(crc32c(data.subarray(0, n))).toBe(reference(data.subarray(0, n)));
    }
    const split = crc32c(data, crc32c(data, 0, 0, 123), 123);
    expect(split).toBe(crc32c(data));
  });

  it('agrees with the bytewise reference at every start alignment and across the 16-byte steps', () => {
    const big = new Uint8Array(70_003);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    for (let offset = 0; offset < 4; offset++) {
      for (const len of [0, 1, 15, 16, 17, 31, 32, 33, 47, 64, 65, 100, 1000, 70_000 - offset]) {
        const view = big.subarray(offset, offset + len);
        expect(crc32c(view)).toBe(reference(view));
      }
    }
  });
});

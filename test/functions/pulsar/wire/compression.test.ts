import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { COMPRESSION_BY_NAME, compress, CompressionType, decompress } from '../../../../functions/pulsar/wire/index.ts';

const inputs: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  tiny: Buffer.from('a'),
  text: Buffer.from('hello pulsar '.repeat(500)),
  random: Buffer.from(Array.from({ length: 4096 }, (_, i) => ((i * 2654435761) >>> 13) & 0xff)),
  literalsOnly: Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789'),
};

describe('compression codecs', () => {
  for (const [name, type] of Object.entries(COMPRESSION_BY_NAME)) {
    for (const [label, data] of Object.entries(inputs)) {
      it(`${name} round-trips ${label}`, () => {
        const packed = compress(type, data);
        const unpacked = decompress(type, packed, data.length);
        expect(Buffer.compare(unpacked, data)).toBe(0);
      });
    }
  }

  it('compresses repetitive text with every real codec', () => {
    const data = inputs['text'] as Buffer;
    for (const type of [CompressionType.LZ4, CompressionType.ZLIB, CompressionType.ZSTD, CompressionType.SNAPPY]) {
      expect(compress(type, data).length).toBeLessThan(data.length / 4);
    }
  });

  it('ZLIB and ZSTD are the standard stream formats other clients read', () => {
    const data = inputs['text'] as Buffer;
    expect(Buffer.compare(zlib.inflateSync(compress(CompressionType.ZLIB, data)), data)).toBe(0);
    expect(Buffer.compare(zlib.zstdDecompressSync(compress(CompressionType.ZSTD, data)), data)).toBe(0);
  });

  it('ZLIB reads the Java client streams, which are deflated with SYNC_FLUSH (no final block)', () => {
    const data = inputs['text'] as Buffer;
    const javaStyle = zlib.deflateSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(() => zlib.inflateSync(javaStyle)).toThrow();
    expect(Buffer.compare(decompress(CompressionType.ZLIB, javaStyle, data.length), data)).toBe(0);
  });

  it('decodes a hand-made raw LZ4 block (no frame header)', () => {
    // token 0x50: 5 literals, no match -> "hello"
    const block = Buffer.from([0x50, ...Buffer.from('hello')]);
    expect(decompress(CompressionType.LZ4, block, 5).toString()).toBe('hello');
    // "abcd" literal then a match of length 4+4=8 at offset 4 -> "abcdabcdabcd", then 5 literals.
    const withMatch = Buffer.from([0x44, ...Buffer.from('abcd'), 4, 0, 0x50, ...Buffer.from('tail!')]);
    expect(decompress(CompressionType.LZ4, withMatch, 17).toString()).toBe('abcdabcdabcdtail!');
  });

  it('rejects a size mismatch and unknown codecs with stable codes', () => {
    const packed = compress(CompressionType.ZLIB, Buffer.from('abc'));
    expect(() => decompress(CompressionType.ZLIB, packed, 4)).toThrow(expect.objectContaining({ code: 'BL_PULSAR_DECOMPRESSION_FAILED' }));
    expect(() => compress(9, Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'BL_PULSAR_COMPRESSION_UNSUPPORTED' }));
    expect(() => decompress(9, Buffer.from('x'), 1)).toThrow(expect.objectContaining({ code: 'BL_PULSAR_COMPRESSION_UNSUPPORTED' }));
  });
});

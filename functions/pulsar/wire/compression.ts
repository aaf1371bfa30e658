/**
 * The five Pulsar compression codecs, byte-compatible with the Java and Go clients:
 * ZLIB = zlib deflate stream, LZ4 = raw LZ4 block (no frame), ZSTD = zstd frame,
 * SNAPPY = raw snappy. The receiver learns the uncompressed size from MessageMetadata.
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { BeamlineError } from '../../errors.ts';
import { CompressionType, type CompressionTypeValue } from './protocol-enums.ts';

interface Lz4Module {
  compressBound(n: number): number;
  compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number;
  decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
}
interface SnappyModule {
  compress(data: Uint8Array): Uint8Array;
  uncompress(data: Uint8Array, maxLength?: number): Uint8Array;
}

const require = createRequire(import.meta.url);
const lz4 = require('lz4js') as Lz4Module;
const snappy = require('snappyjs') as SnappyModule;

export type CompressionName = 'none' | 'lz4' | 'zlib' | 'zstd' | 'snappy';

export const COMPRESSION_BY_NAME: Readonly<Record<CompressionName, CompressionTypeValue>> = Object.freeze({
  none: CompressionType.NONE,
  lz4: CompressionType.LZ4,
  zlib: CompressionType.ZLIB,
  zstd: CompressionType.ZSTD,
  snappy: CompressionType.SNAPPY,
});

const lz4HashTable = new Uint32Array(65536);

/** An LZ4 block that is all literals: valid for any input, used when no match was found. */
function lz4LiteralBlock(src: Uint8Array): Buffer {
  const n = src.length;
  const extra = n >= 15 ? Math.floor((n - 15) / 255) + 1 : 0;
  const out = Buffer.allocUnsafe(1 + extra + n);
  let p = 0;
  if (n >= 15) {
    out[p++] = 0xf0;
    let rest = n - 15;
    while (rest >= 255) {
      out[p++] = 255;
      rest -= 255;
    }
    out[p++] = rest;
  } else {
    out[p++] = n << 4;
  }
  out.set(src, p);
  return out;
}

function lz4Compress(src: Buffer): Buffer {
  if (src.length === 0) return Buffer.from([0]);
  const dst = Buffer.allocUnsafe(lz4.compressBound(src.length));
  lz4HashTable.fill(0);
  const n = lz4.compressBlock(src, dst, 0, src.length, lz4HashTable);
  if (n === 0 || n > src.length + 16) return lz4LiteralBlock(src);
  return dst.subarray(0, n);
}

function lz4Decompress(src: Buffer, size: number): Buffer {
  const dst = Buffer.alloc(size);
  const n = lz4.decompressBlock(src, dst, 0, src.length, 0);
  if (n !== size) throw new Error(`lz4 block decoded to ${n} bytes, metadata says ${size}`);
  return dst;
}

function asBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function codecError(code: string, type: number, cause: unknown): BeamlineError {
  return new BeamlineError(code, `compression codec ${type} failed`, { retriable: false, cause, details: { compression: type } });
}

export function compress(type: number, data: Buffer): Buffer {
  try {
    switch (type) {
      case CompressionType.NONE:
        return data;
      case CompressionType.LZ4:
        return lz4Compress(data);
      case CompressionType.ZLIB:
        return zlib.deflateSync(data);
      case CompressionType.ZSTD:
        return zlib.zstdCompressSync(data);
      case CompressionType.SNAPPY:
        return asBuffer(snappy.compress(data));
    }
  } catch (err) {
    throw codecError(PULSAR_ERROR_CODES.compressionFailed, type, err);
  }
  throw new BeamlineError(PULSAR_ERROR_CODES.compressionUnsupported, `unknown compression type ${type}`, {
    details: { compression: type },
  });
}

/** Decompress to exactly `uncompressedSize` bytes (the size named in MessageMetadata). */
export function decompress(type: number, data: Buffer, uncompressedSize: number): Buffer {
  if (type === CompressionType.NONE) return data;
  let out: Buffer;
  try {
    switch (type) {
      case CompressionType.LZ4:
        out = lz4Decompress(data, uncompressedSize);
        break;
      case CompressionType.ZLIB:
        // The Java client deflates with SYNC_FLUSH, not FINISH: its streams have no final block,
        // which a plain inflate rejects as "unexpected end of file".
        out = zlib.inflateSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        break;
      case CompressionType.ZSTD:
        out = zlib.zstdDecompressSync(data);
        break;
      case CompressionType.SNAPPY:
        out = asBuffer(snappy.uncompress(data, uncompressedSize));
        break;
      default:
        throw new BeamlineError(PULSAR_ERROR_CODES.compressionUnsupported, `unknown compression type ${type}`, {
          details: { compression: type },
        });
    }
  } catch (err) {
    if (err instanceof BeamlineError) throw err;
    throw codecError(PULSAR_ERROR_CODES.decompressionFailed, type, err);
  }
  if (out.length !== uncompressedSize) {
    throw new BeamlineError(PULSAR_ERROR_CODES.decompressionFailed, 'decompressed size differs from uncompressed_size', {
      details: { compression: type, expected: uncompressedSize, actual: out.length },
    });
  }
  return out;
}

/**
 * Partition routing: a keyed message goes to `hash(key) mod partitions`. Client families differ
 * in their default hash, so producers of one key in different languages only keep per-key order
 * when they agree on it:
 *
 * - `'java-string'`: the Java client's default, JavaStringHash (String.hashCode & MAX_INT).
 * - `'murmur3'`: Murmur3_32 (seed 0, over UTF-8, & MAX_INT), selectable in Java and C++.
 * - `'boost'`: the C++ client's default, BoostHash, and so the Python client's (which cannot
 *   change it): Boost's `hash<std::string>` (Boost 1.81 and later, 64-bit) & MAX_INT. Checked
 *   against the official Python client 3.13 (C++ core) on a 13-partition topic.
 */

import type { KeyHashing } from '../../api/index.ts';

/** Java's String.hashCode over UTF-16 code units, then masked to non-negative. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h & 0x7fffffff;
}

/** MurmurHash3 x86 32-bit, seed 0, over the UTF-8 bytes, masked to non-negative. */
export function murmur3Hash(s: string): number {
  const data = Buffer.from(s, 'utf8');
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = 0;
  const n = data.length;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rem = n & 3;
  if (rem > 0) {
    let k = 0;
    if (rem === 3) k ^= (data[blocks + 2] as number) << 16;
    if (rem >= 2) k ^= (data[blocks + 1] as number) << 8;
    k ^= data[blocks] as number;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x7fffffff;
}

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** The 64x64 -> 128-bit product folded to 64 bits (low half xor high half). */
function mulx(x: bigint, y: bigint): bigint {
  const p = x * y;
  return U64(p) ^ (p >> 64n);
}

const BOOST_Q = 0x9e3779b97f4a7c15n;
const BOOST_K = 0xdf442d22ce4859b9n;

/**
 * Boost's hash of a std::string on a 64-bit platform (Boost 1.81+: 8-byte little-endian words
 * mixed with mulx, the tail packed into one word), seed 0, over the UTF-8 bytes, masked to
 * non-negative as the C++ client's BoostHash does.
 */
export function boostHash(s: string): number {
  const data = Buffer.from(s, 'utf8');
  let n = data.length;
  let p = 0;
  let w = mulx(BOOST_Q, BOOST_K);
  let h = w ^ BigInt(n);
  for (; n >= 8; n -= 8, p += 8) {
    w = U64(w + BOOST_Q);
    h ^= mulx(U64(data.readBigUInt64LE(p) + w), BOOST_K);
  }
  let tail = 0n;
  if (n >= 4) {
    tail = U64((BigInt(data.readUInt32LE(p + n - 4)) << BigInt((n - 4) * 8)) | BigInt(data.readUInt32LE(p)));
  } else if (n >= 1) {
    // 1 byte: b0; 2 bytes: b0, b1 at byte 1; 3 bytes: b0, b1 at byte 1, b2 at byte 2.
    const i1 = (n - 1) & 2;
    const i2 = n >> 1;
    tail =
      (BigInt(data[p + i1] as number) << BigInt(i1 * 8)) | (BigInt(data[p + i2] as number) << BigInt(i2 * 8)) | BigInt(data[p] as number);
  }
  w = U64(w + BOOST_Q);
  h ^= mulx(U64(tail + w), BOOST_K);
  return Number(mulx(U64(h + w), BOOST_K) & 0x7fffffffn);
}

export function keyPartition(key: string, partitions: number, hashing: KeyHashing): number {
  const h = hashing === 'murmur3' ? murmur3Hash(key) : hashing === 'boost' ? boostHash(key) : javaStringHash(key);
  return h % partitions;
}

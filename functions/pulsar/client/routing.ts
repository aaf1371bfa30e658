/**
 * Partition routing compatible with the Java client: a keyed message goes to
 * `hash(key) mod partitions`, with the default JavaStringHash (String.hashCode & MAX_INT) or
 * Murmur3_32 (seed 0, over UTF-8, & MAX_INT).
 */
export type KeyHashing = 'java-string' | 'murmur3';

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

export function keyPartition(key: string, partitions: number, hashing: KeyHashing): number {
  const h = hashing === 'murmur3' ? murmur3Hash(key) : javaStringHash(key);
  return h % partitions;
}

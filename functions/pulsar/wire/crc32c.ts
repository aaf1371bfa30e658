/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), slice-by-8. Pulsar checksums
 * `[metadataSize][metadata][payload]` with it; Node's zlib.crc32 is the IEEE polynomial and
 * would be rejected by the broker.
 */
const POLY = 0x82f63b78;

const TABLE = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = TABLE[n] as number;
  for (let t = 1; t < 8; t++) {
    c = (TABLE[c & 0xff] as number) ^ (c >>> 8);
    TABLE[t * 256 + n] = c;
  }
}

/**
 * Continue a CRC32C over `buf[start, end)`. Pass the previous result as `crc` to checksum
 * several slices as one stream (start with 0).
 */
export function crc32c(buf: Uint8Array, crc = 0, start = 0, end = buf.length): number {
  const T = TABLE;
  let c = ~crc;
  let i = start;
  // Align to 8 bytes' worth of work per step.
  const stop8 = end - ((end - i) & 7);
  while (i < stop8) {
    const lo = c ^ ((buf[i] as number) | ((buf[i + 1] as number) << 8) | ((buf[i + 2] as number) << 16) | ((buf[i + 3] as number) << 24));
    const hi = (buf[i + 4] as number) | ((buf[i + 5] as number) << 8) | ((buf[i + 6] as number) << 16) | ((buf[i + 7] as number) << 24);
    c =
      (T[1792 + (lo & 0xff)] as number) ^
      (T[1536 + ((lo >>> 8) & 0xff)] as number) ^
      (T[1280 + ((lo >>> 16) & 0xff)] as number) ^
      (T[1024 + (lo >>> 24)] as number) ^
      (T[768 + (hi & 0xff)] as number) ^
      (T[512 + ((hi >>> 8) & 0xff)] as number) ^
      (T[256 + ((hi >>> 16) & 0xff)] as number) ^
      (T[hi >>> 24] as number);
    i += 8;
  }
  while (i < end) {
    c = (T[(c ^ (buf[i++] as number)) & 0xff] as number) ^ (c >>> 8);
  }
  return ~c >>> 0;
}

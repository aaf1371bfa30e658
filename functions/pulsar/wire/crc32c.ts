/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78), slice-by-16. Pulsar checksums
 * `[metadataSize][metadata][payload]` with it; Node's zlib.crc32 is the IEEE polynomial and
 * would be rejected by the broker.
 */
const POLY = 0x82f63b78;

const TABLE = new Int32Array(16 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  let c = TABLE[n] as number;
  for (let t = 1; t < 16; t++) {
    c = (TABLE[c & 0xff] as number) ^ (c >>> 8);
    TABLE[t * 256 + n] = c;
  }
}

/** Little-endian hosts can read the input as 32-bit words (x86-64 and arm64 both are). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Continue a CRC32C over `buf[start, end)`. Pass the previous result as `crc` to checksum
 * several slices as one stream (start with 0).
 */
export function crc32c(buf: Uint8Array, crc = 0, start = 0, end = buf.length): number {
  const T = TABLE;
  let c = ~crc;
  let i = start;
  // Bytewise up to a 4-byte aligned address, then 16 bytes per step read as four 32-bit words:
  // every frame sent and received is checksummed, so this is hot (slice-by-16 measured 1.45x
  // slice-by-8 here: 1.85 vs 1.27 GB/s on 128 KiB).
  while (i < end && ((buf.byteOffset + i) & 3) !== 0) c = (T[(c ^ (buf[i++] as number)) & 0xff] as number) ^ (c >>> 8);
  const steps = (end - i) >>> 4;
  if (LITTLE_ENDIAN && steps >= 2) {
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, steps * 4);
    for (let k = 0; k < w.length; k += 4) {
      const a = c ^ (w[k] as number);
      const b = w[k + 1] as number;
      const d = w[k + 2] as number;
      const e = w[k + 3] as number;
      c =
        (T[3840 + (a & 0xff)] as number) ^
        (T[3584 + ((a >>> 8) & 0xff)] as number) ^
        (T[3328 + ((a >>> 16) & 0xff)] as number) ^
        (T[3072 + (a >>> 24)] as number) ^
        (T[2816 + (b & 0xff)] as number) ^
        (T[2560 + ((b >>> 8) & 0xff)] as number) ^
        (T[2304 + ((b >>> 16) & 0xff)] as number) ^
        (T[2048 + (b >>> 24)] as number) ^
        (T[1792 + (d & 0xff)] as number) ^
        (T[1536 + ((d >>> 8) & 0xff)] as number) ^
        (T[1280 + ((d >>> 16) & 0xff)] as number) ^
        (T[1024 + (d >>> 24)] as number) ^
        (T[768 + (e & 0xff)] as number) ^
        (T[512 + ((e >>> 8) & 0xff)] as number) ^
        (T[256 + ((e >>> 16) & 0xff)] as number) ^
        (T[e >>> 24] as number);
    }
    i += steps * 16;
  }
  while (i < end) {
    c = (T[(c ^ (buf[i++] as number)) & 0xff] as number) ^ (c >>> 8);
  }
  return ~c >>> 0;
}

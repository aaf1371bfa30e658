/**
 * A cheap walk that guesses heap bytes for a value. It feeds a gauge and nothing else, so it
 * trades accuracy for speed: V8 layouts differ per shape and this ignores sharing.
 */
const MAX_DEPTH = 8;

export function estimateBytes(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'string':
      return 16 + value.length * 2;
    case 'number':
      return 8;
    case 'boolean':
      return 4;
    case 'bigint':
      return 16;
    case 'object': {
      if (value === null) return 4;
      if (depth >= MAX_DEPTH) return 64;
      if (ArrayBuffer.isView(value)) return 64 + value.byteLength;
      let total = 32;
      if (Array.isArray(value)) {
        for (const item of value) total += 8 + estimateBytes(item, depth + 1);
        return total;
      }
      // for-in, not Object.entries: no array of pairs per value (a restore calls this per key).
      const record = value as Record<string, unknown>;
      for (const k in record) {
        if (Object.hasOwn(record, k)) total += 8 + k.length * 2 + estimateBytes(record[k], depth + 1);
      }
      return total;
    }
    default:
      return 8;
  }
}

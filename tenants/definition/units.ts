/**
 * Human units in specs: durations like `30m`, `7d` and sizes like `512MB`, `10GB` (binary:
 * 1 GB = 1024^3 bytes, as Pulsar's own CLI uses). `infinite` maps to Pulsar's -1.
 */
const DURATION_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SIZE_BYTES: Readonly<Record<string, number>> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

export const DURATION_FIX = 'use a whole number with a unit s, m, h, d or w (e.g. 30m, 7d), or "infinite"';
export const SIZE_FIX = 'use a number with a unit B, KB, MB, GB or TB (e.g. 512MB, 10GB), or "infinite"';

/** Milliseconds, -1 for infinite, undefined when unparseable. */
export function parseDurationMs(value: unknown): number | undefined {
  if (value === 'infinite' || value === -1) return -1;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+)\s*(s|m|h|d|w)$/.exec(value.trim());
  if (m === null) return undefined;
  const unit = DURATION_MS[m[2] ?? ''];
  const n = Number(m[1]);
  return unit === undefined || n <= 0 ? undefined : n * unit;
}

/** Bytes, -1 for infinite, undefined when unparseable. */
export function parseSizeBytes(value: unknown): number | undefined {
  if (value === 'infinite' || value === -1) return -1;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)$/i.exec(value.trim());
  if (m === null) return undefined;
  const unit = SIZE_BYTES[(m[2] ?? '').toUpperCase()];
  const n = Number(m[1]);
  return unit === undefined || n <= 0 ? undefined : Math.round(n * unit);
}

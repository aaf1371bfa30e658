/**
 * Byte counts rendered for people: one home for both forms Beamline prints. No I/O.
 */

/** Approximate, binary units, for progress lines: `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Exact, in a tenant spec's units (`64MB`, `1GB`, `100B`; a negative size is `infinite`): what
 * the spec's size parser reads back to the same number, for plan output.
 */
export function formatSizeBytes(bytes: number): string {
  if (bytes < 0) return 'infinite';
  for (const [unit, size] of [
    ['TB', 1024 ** 4],
    ['GB', 1024 ** 3],
    ['MB', 1024 ** 2],
    ['KB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

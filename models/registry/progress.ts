/**
 * The upload progress bar of `beamline model push`, on stderr so `--output json` stays clean.
 * Renders one line per phase change (no cursor tricks: logs and CI output stay readable).
 */
import type { PushPhase } from '../../functions/index.ts';

const WIDTH = 24;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function renderProgress(p: { phase: PushPhase; bytes: number; totalBytes: number }): string {
  const ratio = p.totalBytes === 0 ? 1 : Math.min(1, p.bytes / p.totalBytes);
  const filled = Math.round(ratio * WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}]`;
  return `${bar} ${String(Math.round(ratio * 100)).padStart(3)}% ${formatBytes(p.bytes)}/${formatBytes(p.totalBytes)} ${p.phase}`;
}

/** An `onProgress` for `ModelRegistry.push` that writes each phase once. */
export function progressPrinter(write: (line: string) => void): (p: { phase: PushPhase; bytes: number; totalBytes: number }) => void {
  let last: PushPhase | undefined;
  return (p) => {
    if (p.phase === last) return;
    last = p.phase;
    write(renderProgress(p));
  };
}

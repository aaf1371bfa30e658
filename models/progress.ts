/**
 * The upload progress bar of `beamline model push`, on stderr so `--output json` stays clean.
 * Renders one line per phase change (no cursor tricks: logs and CI output stay readable).
 */
import { formatBytes, type PushPhase } from '../functions/control-plane.ts';

const WIDTH = 24;

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

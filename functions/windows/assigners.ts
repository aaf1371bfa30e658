/** Which fixed windows an event time falls in. Windows are half-open: [startMs, endMs). */
import type { WindowConfig } from './window-options.ts';

export interface WindowBounds {
  readonly startMs: number;
  readonly endMs: number;
}

/** Tumbling and sliding windows containing `eventTimeMs`, earliest start first. */
export function assignWindows(config: WindowConfig, eventTimeMs: number): WindowBounds[] {
  if (config.type === 'session') return [{ startMs: eventTimeMs, endMs: eventTimeMs + config.gapMs }];
  const { sizeMs, slideMs, offsetMs } = config;
  const lastStart = Math.floor((eventTimeMs - offsetMs) / slideMs) * slideMs + offsetMs;
  const out: WindowBounds[] = [];
  for (let start = lastStart; start > eventTimeMs - sizeMs; start -= slideMs) {
    out.push({ startMs: start, endMs: start + sizeMs });
  }
  return out.reverse();
}

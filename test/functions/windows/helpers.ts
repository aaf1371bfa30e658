import { createStateStore } from '../../../functions/state/index.ts';
import {
  compileWindowOptions,
  WindowOperator,
  type WindowOptions,
  type WindowOutput,
  type WindowStoreValue,
} from '../../../functions/windows/index.ts';

export type Step<T> = { key?: string; t: number; v?: T } | { watermark: number };

export interface Collected {
  results: { key: string; startMs: number; endMs: number; value: unknown; count: number; trigger: string; replaces?: unknown }[];
  late: { key: string; t: number; reason: string; watermarkMs: number | null }[];
}

export function makeOperator<T>(options: WindowOptions<T>): WindowOperator<T> {
  return new WindowOperator<T>(compileWindowOptions(options), createStateStore<WindowStoreValue>().store);
}

export function collect<T>(into: Collected, out: WindowOutput<T>): void {
  for (const r of out.results) into.results.push({ ...r });
  for (const l of out.late) into.late.push({ key: l.event.key, t: l.event.eventTimeMs, reason: l.reason, watermarkMs: l.watermarkMs });
}

export function run<T>(op: WindowOperator<T>, steps: readonly Step<T>[]): Collected {
  const got: Collected = { results: [], late: [] };
  for (const s of steps) {
    if ('watermark' in s) collect(got, op.advanceWatermark(s.watermark));
    else collect(got, op.process({ key: s.key ?? 'a', eventTimeMs: s.t, value: s.v as T }));
  }
  return got;
}

/** Terse result rows: [key, start, end, value, count, trigger]. */
export function rows(c: Collected): unknown[][] {
  return c.results.map((r) => [r.key, r.startMs, r.endMs, r.value, r.count, r.trigger]);
}

export const END = Number.MAX_SAFE_INTEGER;

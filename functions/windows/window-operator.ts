/**
 * The event-time window operator. Pure: `process()` and `advanceWatermark()` return what to emit
 * and never do I/O. Everything needed to continue lives in the `KeyValueStore` (one record per
 * open window plus one for the watermark), so an operator built over a restored store carries on
 * exactly where the old one stopped. Give each operator its own store: it owns every key in it.
 *
 * Watermark: the highest event time seen minus `maxOutOfOrdernessMs`, shared by all keys of this
 * operator (one per consumer). A window [start, end) fires once the watermark >= end, and is kept
 * `allowedLatenessMs` longer for late events. If a reducer throws, the event's windows may be
 * partly updated; the runtime restores state from the changelog before retrying, as it does after
 * any failed transaction.
 */
import type { KeyValueStore } from '../state/index.ts';
import { noopMetrics, type CounterMetric, type Metrics } from '../telemetry.ts';
import { assignWindows, type WindowBounds } from './assigners.ts';
import { formatValue } from '../errors.ts';
import { WindowValueError } from './errors.ts';
import { TimerQueue } from './timer-queue.ts';
import type { LateEvent, WindowEvent, WindowOutput, WindowResult } from './types.ts';
import type { WindowConfig } from './window-options.ts';

/** One open window as stored. JSON-safe. */
export interface WindowRecord {
  readonly kind: 'window';
  readonly key: string;
  readonly startMs: number;
  readonly endMs: number;
  acc: unknown;
  count: number;
  /** The current content has been emitted. */
  emitted: boolean;
  /** Emitted at least once (a merge must then tell downstream what it replaces). */
  everEmitted: boolean;
  /** When this window next needs attention: its end (to fire) or end + lateness (to purge). */
  timerMs: number;
  /** Sessions: merged-away windows already emitted, reported with the next emission. */
  replaces: WindowBounds[];
}

export interface WatermarkRecord {
  readonly kind: 'watermark';
  /** null = no event yet (JSON has no -Infinity). */
  watermarkMs: number | null;
  maxEventTimeMs: number | null;
}

export type WindowStoreValue = WindowRecord | WatermarkRecord;

export interface WindowOperatorOptions {
  /** @default noopMetrics() */
  metrics?: Metrics;
  /** Metric label telling operators apart. @default 'default' */
  name?: string;
}

const WATERMARK_KEY = 'wm';

function windowStoreKey(key: string, startMs: number, endMs: number): string {
  // The user key goes last so any character in it is safe.
  return `w:${startMs}:${endMs}:${key}`;
}

export class WindowOperator<T = unknown, R = unknown> {
  readonly config: WindowConfig;
  readonly #store: KeyValueStore<WindowStoreValue>;
  readonly #timers = new TimerQueue();
  /** Sessions only: store keys of each key's open sessions (derived; rebuilt on reload). */
  readonly #sessions = new Map<string, Set<string>>();
  readonly #name: string;
  readonly #results: CounterMetric;
  readonly #lateEvents: CounterMetric;
  #watermark = -Infinity;
  #maxEventTime = -Infinity;

  constructor(config: WindowConfig, store: KeyValueStore<WindowStoreValue>, options: WindowOperatorOptions = {}) {
    this.config = config;
    this.#store = store;
    this.#name = options.name ?? 'default';
    const metrics = options.metrics ?? noopMetrics();
    this.#results = metrics.counter('beamline_window_results_total', 'Window results emitted.', ['window', 'trigger']);
    this.#lateEvents = metrics.counter('beamline_window_late_events_total', 'Events no window accepted (late side output).', [
      'window',
      'reason',
    ]);
    this.reload();
  }

  /** Watermark in ms, or null before the first event. */
  get watermarkMs(): number | null {
    return Number.isFinite(this.#watermark) ? this.#watermark : null;
  }

  /** Rebuilds the in-memory indexes from the store; call after restoring the store under this operator. */
  reload(): void {
    this.#timers.clear();
    this.#sessions.clear();
    this.#watermark = -Infinity;
    this.#maxEventTime = -Infinity;
    for (const [storeKey, value] of this.#store.entries()) {
      if (value.kind === 'watermark') {
        this.#watermark = value.watermarkMs ?? -Infinity;
        this.#maxEventTime = value.maxEventTimeMs ?? -Infinity;
      } else {
        this.#schedule(storeKey, value);
        if (this.config.type === 'session') this.#indexSession(value.key, storeKey);
      }
    }
  }

  /** Adds one event; returns the windows it completed or updated and whether it was late. */
  process(event: WindowEvent<T>): WindowOutput<T, R> {
    const out: WindowOutput<T, R> = { results: [], late: [] };
    const t = event.eventTimeMs;
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      out.late.push(this.#late(event, 'invalid-event-time'));
      return this.#count(out);
    }
    if (this.config.type === 'session') this.#addToSession(event, out);
    else this.#addToFixed(event, out);
    if (t > this.#maxEventTime) {
      this.#maxEventTime = t;
      const next = Math.max(this.#watermark, t - this.config.maxOutOfOrdernessMs);
      this.#advance(next, out);
      this.#saveWatermark();
    }
    return this.#count(out);
  }

  /**
   * Moves the watermark forward without an event (an idle source, or end of input with
   * `Number.MAX_SAFE_INTEGER`). Never moves it back.
   */
  advanceWatermark(toMs: number): WindowOutput<T, R> {
    const out: WindowOutput<T, R> = { results: [], late: [] };
    if (toMs > this.#watermark) {
      this.#advance(toMs, out);
      this.#saveWatermark();
    }
    return this.#count(out);
  }

  /** Windows held in the store. */
  get openWindows(): number {
    let n = 0;
    for (const [, v] of this.#store.entries()) if (v.kind === 'window') n++;
    return n;
  }

  #addToFixed(event: WindowEvent<T>, out: WindowOutput<T, R>): void {
    const lateness = this.config.allowedLatenessMs;
    const windows = assignWindows(this.config, event.eventTimeMs).filter((w) => this.#watermark < w.endMs + lateness);
    if (windows.length === 0) {
      out.late.push(this.#late(event, 'beyond-allowed-lateness'));
      return;
    }
    for (const w of windows) {
      const storeKey = windowStoreKey(event.key, w.startMs, w.endMs);
      const existing = this.#store.get(storeKey);
      const record = existing?.kind === 'window' ? existing : this.#newRecord(event.key, w);
      record.acc = this.#add(record.acc, event);
      record.count++;
      this.#afterUpdate(storeKey, record, existing === undefined, out);
    }
  }

  #addToSession(event: WindowEvent<T>, out: WindowOutput<T, R>): void {
    const t = event.eventTimeMs;
    const protoEnd = t + this.config.gapMs;
    const overlapping: [string, WindowRecord][] = [];
    for (const storeKey of this.#sessions.get(event.key) ?? []) {
      const r = this.#store.get(storeKey);
      // Touching sessions merge too: an event exactly `gapMs` after another continues it.
      if (r?.kind === 'window' && r.startMs <= protoEnd && t <= r.endMs) overlapping.push([storeKey, r]);
    }
    if (overlapping.length === 0 && this.#watermark >= protoEnd + this.config.allowedLatenessMs) {
      out.late.push(this.#late(event, 'beyond-allowed-lateness'));
      return;
    }
    const only = overlapping.length === 1 ? overlapping[0] : undefined;
    if (only !== undefined && only[1].startMs <= t && protoEnd <= only[1].endMs) {
      // Inside one session: update in place, bounds unchanged.
      const [storeKey, record] = only;
      record.acc = this.#add(record.acc, event);
      record.count++;
      this.#afterUpdate(storeKey, record, false, out);
      return;
    }
    overlapping.sort((a, b) => a[1].startMs - b[1].startMs || a[1].endMs - b[1].endMs);
    const merge = this.config.reducer.merge;
    if (merge === undefined) throw new WindowValueError('session windows need a reducer with merge()', {});
    let startMs = t;
    let endMs = protoEnd;
    let acc: unknown = undefined;
    let count = 0;
    const replaces: WindowBounds[] = [];
    for (const [storeKey, r] of overlapping) {
      acc = acc === undefined ? r.acc : merge(acc, r.acc);
      count += r.count;
      startMs = Math.min(startMs, r.startMs);
      endMs = Math.max(endMs, r.endMs);
      replaces.push(...r.replaces);
      if (r.everEmitted) replaces.push({ startMs: r.startMs, endMs: r.endMs });
      this.#store.delete(storeKey);
      this.#sessions.get(event.key)?.delete(storeKey);
    }
    const record = this.#newRecord(event.key, { startMs, endMs });
    record.acc = this.#add(acc === undefined ? record.acc : acc, event);
    record.count = count + 1;
    record.replaces = replaces;
    const storeKey = windowStoreKey(event.key, startMs, endMs);
    this.#indexSession(event.key, storeKey);
    this.#afterUpdate(storeKey, record, true, out);
  }

  /** Emits at once when the window is already complete (a late update); schedules otherwise. */
  #afterUpdate(storeKey: string, record: WindowRecord, isNew: boolean, out: WindowOutput<T, R>): void {
    const previousTimer = record.timerMs;
    if (this.#watermark >= record.endMs) {
      out.results.push(this.#emit(record, 'late'));
      record.timerMs = record.endMs + this.config.allowedLatenessMs;
    } else {
      record.emitted = false;
      record.timerMs = record.endMs;
    }
    this.#store.put(storeKey, record);
    if (isNew || record.timerMs !== previousTimer) this.#schedule(storeKey, record);
  }

  #advance(toMs: number, out: WindowOutput<T, R>): void {
    this.#watermark = toMs;
    const lateness = this.config.allowedLatenessMs;
    for (let top = this.#timers.peek(); top !== undefined && top.atMs <= toMs; top = this.#timers.peek()) {
      this.#timers.pop();
      const record = this.#store.get(top.storeKey);
      if (record?.kind !== 'window' || record.timerMs !== top.atMs) continue;
      if (!record.emitted && toMs >= record.endMs) out.results.push(this.#emit(record, 'on-time'));
      if (toMs >= record.endMs + lateness) {
        this.#store.delete(top.storeKey);
        this.#sessions.get(record.key)?.delete(top.storeKey);
        if (this.#sessions.get(record.key)?.size === 0) this.#sessions.delete(record.key);
      } else {
        record.timerMs = record.endMs + lateness;
        this.#store.put(top.storeKey, record);
        this.#schedule(top.storeKey, record);
      }
    }
  }

  #emit(record: WindowRecord, trigger: 'on-time' | 'late'): WindowResult<R> {
    record.emitted = true;
    record.everEmitted = true;
    const base = {
      key: record.key,
      startMs: record.startMs,
      endMs: record.endMs,
      value: ownedCopy(this.config.reducer.result(record.acc)) as R,
      count: record.count,
      trigger,
    };
    if (record.replaces.length === 0) return base;
    const replaces = record.replaces;
    record.replaces = [];
    return { ...base, replaces };
  }

  #newRecord(key: string, w: WindowBounds): WindowRecord {
    return {
      kind: 'window',
      key,
      startMs: w.startMs,
      endMs: w.endMs,
      acc: this.config.reducer.init(),
      count: 0,
      emitted: false,
      everEmitted: false,
      timerMs: w.endMs,
      replaces: [],
    };
  }

  #add(acc: unknown, event: WindowEvent<T>): unknown {
    return this.config.reducer.add(acc, event.value, event.eventTimeMs);
  }

  #schedule(storeKey: string, record: WindowRecord): void {
    const { timerMs: atMs, endMs, startMs, key } = record;
    this.#timers.push({ atMs, endMs, startMs, key, storeKey });
  }

  #indexSession(key: string, storeKey: string): void {
    let set = this.#sessions.get(key);
    if (set === undefined) this.#sessions.set(key, (set = new Set()));
    set.add(storeKey);
  }

  #late(event: WindowEvent<T>, reason: LateEvent['reason']): LateEvent<T> {
    return { event, reason, watermarkMs: this.watermarkMs };
  }

  #count(out: WindowOutput<T, R>): WindowOutput<T, R> {
    for (const r of out.results) this.#results.inc({ window: this.#name, trigger: r.trigger });
    for (const l of out.late) this.#lateEvents.inc({ window: this.#name, reason: l.reason });
    return out;
  }

  #saveWatermark(): void {
    this.#store.put(WATERMARK_KEY, {
      kind: 'watermark',
      watermarkMs: this.watermarkMs,
      maxEventTimeMs: Number.isFinite(this.#maxEventTime) ? this.#maxEventTime : null,
    });
  }
}

/**
 * Every emitted result is a value the handler owns. A reducer's result may be (or share parts of)
 * its accumulator, the window's live state: collect's is the stored list itself. Handed over as
 * is, a handler that sorts or reverses its list would rewrite the window (and the changelog would
 * persist that), and a later late event would change a result already emitted.
 */
function ownedCopy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  try {
    return structuredClone(value);
  } catch (cause) {
    throw new WindowValueError(
      "a window result must be structured-cloneable (plain data); return one from the reducer's result()",
      {
        got: formatValue(value),
      },
      cause,
    );
  }
}

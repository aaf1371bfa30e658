import { ConfigError } from '../errors.ts';
import {
  collectReducer,
  countReducer,
  distinctCountReducer,
  extremeReducer,
  lastNReducer,
  meanReducer,
  sumReducer,
  type AggregateName,
} from './aggregations.ts';
import type { Reducer } from './reducer.ts';

export type WindowType = 'tumbling' | 'sliding' | 'session';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each reducer picks its own accumulator and result
export type AggregateSpec<T = unknown> = AggregateName | { lastN: number } | Reducer<T, any, any>;

export interface WindowOptions<T = unknown> {
  /** Tumbling (fixed, back to back), sliding (fixed size, overlapping) or session (gap-based). */
  type: WindowType;
  /** Window length (tumbling, sliding). Required for those types. */
  sizeMs?: number;
  /** How far each sliding window starts after the previous one (<= sizeMs). Required for sliding. */
  slideMs?: number;
  /** Inactivity that closes a session (events closer than this share a session). Required for session. */
  gapMs?: number;
  /** Shifts window boundaries from the epoch, e.g. for time zones. @default 0 */
  offsetMs?: number;
  /**
   * How far out of order events may arrive. Beamline's watermark is the highest event time seen
   * minus this, and a window [start, end) fires once the watermark reaches its end (watermark >=
   * end). Flink's convention is one millisecond lower (its bounded-out-of-orderness watermark
   * subtracts a further 1 ms, and its windows fire at watermark >= end - 1): the same windows fire
   * on the same events, only the reported watermark numbers differ by 1.
   * @default 0
   */
  maxOutOfOrdernessMs?: number;
  /**
   * How long after a window fires it still accepts late events (each one updates the window and
   * re-emits it). An event goes to the late side output (a `late-event` dead letter in the
   * worker) once the watermark >= end + allowedLatenessMs for every window it belongs to (Flink:
   * its watermark >= end - 1 + lateness, the same events).
   * @default 0
   */
  allowedLatenessMs?: number;
  /**
   * What to compute per window: a built-in name, `{ lastN }`, or a custom reducer (which gets the
   * raw value; `extract` is not applied).
   * @default 'count'
   */
  aggregate?: AggregateSpec<T>;
  /**
   * Picks the aggregated value out of an event's value (sum, mean, min, max, distinct-count,
   * lastN, collect). @default the value itself
   */
  extract?: (value: T) => unknown;
  /**
   * Distinct counts are exact up to this many distinct values per window, then approximate
   * (HyperLogLog, ~1.6% standard error).
   * @default 10000
   */
  distinctExactLimit?: number;
}

export interface WindowConfig {
  readonly type: WindowType;
  /** Tumbling/sliding length; 0 for sessions. */
  readonly sizeMs: number;
  /** Equal to sizeMs for tumbling; 0 for sessions. */
  readonly slideMs: number;
  /** 0 unless session. */
  readonly gapMs: number;
  readonly offsetMs: number;
  readonly maxOutOfOrdernessMs: number;
  readonly allowedLatenessMs: number;
  /** For logs and metrics: the built-in name, 'last-n' or 'custom'. */
  readonly aggregateName: string;
  readonly reducer: Reducer<unknown, unknown, unknown>;
}

const KNOWN = new Set([
  'type',
  'sizeMs',
  'slideMs',
  'gapMs',
  'offsetMs',
  'maxOutOfOrdernessMs',
  'allowedLatenessMs',
  'aggregate',
  'extract',
  'distinctExactLimit',
]);
const NAMES: readonly AggregateName[] = ['count', 'sum', 'mean', 'min', 'max', 'distinct-count', 'collect'];
/** Guards against a sliding config that would put one event in thousands of windows. */
const MAX_WINDOWS_PER_EVENT = 1000;

export function compileWindowOptions<T = unknown>(options: WindowOptions<T>): WindowConfig {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('window', options, "pass an object like { type: 'tumbling', sizeMs: 60000 }");
  }
  for (const [field, value] of Object.entries(options)) {
    if (!KNOWN.has(field)) {
      throw new ConfigError(`window.${field}`, value, `remove it; known options are ${[...KNOWN].join(', ')}`);
    }
  }
  const type = options.type;
  if (type !== 'tumbling' && type !== 'sliding' && type !== 'session') {
    throw new ConfigError('window.type', type, "use 'tumbling', 'sliding' or 'session'");
  }
  let sizeMs = 0;
  let slideMs = 0;
  let gapMs = 0;
  if (type === 'session') {
    gapMs = positiveMs('window.gapMs', options.gapMs, 'session windows need the inactivity gap, e.g. gapMs: 30000');
  } else {
    sizeMs = positiveMs('window.sizeMs', options.sizeMs, `${type} windows need a length, e.g. sizeMs: 60000`);
    slideMs = sizeMs;
    if (type === 'sliding') {
      slideMs = positiveMs('window.slideMs', options.slideMs, 'sliding windows need a slide, e.g. slideMs: 10000');
      if (slideMs > sizeMs) {
        throw new ConfigError('window.slideMs', slideMs, `use a slide <= sizeMs (${sizeMs}); use tumbling for slide = size`);
      }
      if (sizeMs / slideMs > MAX_WINDOWS_PER_EVENT) {
        const least = Math.ceil(sizeMs / MAX_WINDOWS_PER_EVENT);
        throw new ConfigError(
          'window.slideMs',
          slideMs,
          `use a slide >= ${least} (sizeMs / ${MAX_WINDOWS_PER_EVENT}) so one event lands in at most ${MAX_WINDOWS_PER_EVENT} windows`,
        );
      }
    }
  }
  const offsetMs = nonNegativeMs('window.offsetMs', options.offsetMs);
  if (type !== 'session' && offsetMs >= slideMs) {
    const unit = type === 'sliding' ? 'slide' : 'size';
    throw new ConfigError('window.offsetMs', offsetMs, `use an offset below the ${unit} (${slideMs})`);
  }
  const maxOutOfOrdernessMs = nonNegativeMs('window.maxOutOfOrdernessMs', options.maxOutOfOrdernessMs);
  const allowedLatenessMs = nonNegativeMs('window.allowedLatenessMs', options.allowedLatenessMs);
  const { reducer, aggregateName } = resolveAggregate(options);
  if (type === 'session' && reducer.merge === undefined) {
    throw new ConfigError('window.aggregate.merge', undefined, 'session windows merge, so a custom reducer needs merge(a, b)');
  }
  return Object.freeze({
    type,
    sizeMs,
    slideMs,
    gapMs,
    offsetMs,
    maxOutOfOrdernessMs,
    allowedLatenessMs,
    aggregateName,
    reducer,
  });
}

type AnyReducer = Reducer<unknown, unknown, unknown>;
const AGGREGATE_FIX = `use one of ${NAMES.join(', ')}, { lastN: n } or a reducer { init, add, merge?, result }`;

function resolveAggregate<T>(options: WindowOptions<T>): { reducer: AnyReducer; aggregateName: string } {
  const extract = options.extract ?? ((v: T): unknown => v);
  if (typeof extract !== 'function') {
    throw new ConfigError('window.extract', extract, 'use a function (value) => unknown');
  }
  const extractFn = extract as (v: unknown) => unknown;
  const distinctExactLimit = options.distinctExactLimit ?? 10_000;
  if (!Number.isSafeInteger(distinctExactLimit) || distinctExactLimit < 1) {
    throw new ConfigError('window.distinctExactLimit', distinctExactLimit, 'use a whole number >= 1 (default 10000)');
  }
  const spec = options.aggregate ?? 'count';
  if (typeof spec === 'string') {
    if (!NAMES.includes(spec)) throw new ConfigError('window.aggregate', spec, AGGREGATE_FIX);
    return { reducer: builtInReducer(spec, extractFn, distinctExactLimit), aggregateName: spec };
  }
  if (typeof spec !== 'object' || spec === null) throw new ConfigError('window.aggregate', spec, AGGREGATE_FIX);
  if ('lastN' in spec) {
    const n = spec.lastN;
    if (!Number.isSafeInteger(n) || n < 1 || n > 100_000) {
      throw new ConfigError('window.aggregate.lastN', n, 'use a whole number from 1 to 100000');
    }
    return { reducer: lastNReducer(extractFn, n) as AnyReducer, aggregateName: 'last-n' };
  }
  for (const fn of ['init', 'add', 'result'] as const) {
    if (typeof spec[fn] !== 'function') {
      throw new ConfigError(
        `window.aggregate.${fn}`,
        spec[fn],
        'a custom reducer needs init(), add(acc, value, eventTimeMs) and result(acc) functions',
      );
    }
  }
  if (spec.merge !== undefined && typeof spec.merge !== 'function') {
    throw new ConfigError('window.aggregate.merge', spec.merge, 'use a function (a, b) => acc or leave it out');
  }
  return { reducer: spec as AnyReducer, aggregateName: 'custom' };
}

/**
 * A built-in aggregation's reducer, for windows and for any other per-key aggregate (the scoring
 * handler's look-backs). Distinct counts are exact up to `exactLimit` distinct values.
 */
export function builtInReducer(name: AggregateName, extract: (v: unknown) => unknown, exactLimit: number): AnyReducer {
  switch (name) {
    case 'count':
      return countReducer() as AnyReducer;
    case 'sum':
      return sumReducer(extract) as AnyReducer;
    case 'mean':
      return meanReducer(extract) as AnyReducer;
    case 'min':
      return extremeReducer(extract, 'min') as AnyReducer;
    case 'max':
      return extremeReducer(extract, 'max') as AnyReducer;
    case 'distinct-count':
      return distinctCountReducer(extract, exactLimit) as AnyReducer;
    case 'collect':
      return collectReducer(extract) as AnyReducer;
  }
}

function positiveMs(field: string, value: unknown, fix: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(field, value, `use whole milliseconds >= 1; ${fix}`);
  }
  return value;
}

function nonNegativeMs(field: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(field, value, 'use whole milliseconds >= 0 (default 0)');
  }
  return value;
}

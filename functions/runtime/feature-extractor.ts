/**
 * #23: the built-in scoring handler's feature code, one function for serving and for training.
 * The worker calls `step` at each event with the key's history from keyed state; `beamline
 * features export` calls the same `step` while replaying a topic with the history in memory, so
 * an exported row holds exactly the values the worker had at that event's time.
 *
 * Features come from a bounded per-key history: count/sum/mean/min/max/distinct over the last
 * `lookbackMs`, the amount against the key's mean, the time since the previous event, and the
 * speed implied by two consecutive positions (impossible travel). The look-back aggregates use
 * functions/windows' reducers (the same count/sum/mean/min/max/distinct as event-time windows).
 */
import { ConfigError } from '../errors.ts';
import { builtInReducer, type AggregateName, type Reducer } from '../windows/index.ts';

export type WindowAggregate = 'count' | 'sum' | 'mean' | 'min' | 'max' | 'distinct';

interface FeatureCommon {
  name: string;
  /** Compress heavy tails: the value becomes log(1 + max(0, v)). @default false */
  log?: boolean;
}

export type FeatureSpec = FeatureCommon &
  (
    | /** A numeric (or boolean) field of the record, by dot path. */ { field: string }
    | /** An aggregate of a field (or of events, for count) over the key's last `lookbackMs`. */ {
        window: { lookbackMs: number; aggregate: WindowAggregate; field?: string };
      }
    | /** This record's field divided by its mean over the key's last `lookbackMs` (1 when no history). */ {
        ratioToMean: { field: string; lookbackMs: number };
      }
    | /** Seconds since the key's previous event (`capSeconds` when none). */ { secondsSinceLast: { capSeconds: number } }
    | /** Speed in km/h between the key's previous position and this one (0 when none). */ { speedKmh: { lat: string; lon: string } }
  );

/** One past event of a key, as kept in keyed state. */
export interface FeatureHistoryEntry {
  t: number;
  /** The fields the windows use, by dot path. */
  v: Record<string, number | string | null>;
}

export interface FeatureStep {
  /** Feature values by name (after `log`). */
  readonly values: Record<string, number>;
  /** The same values in the feature order: the model's input row. */
  readonly row: Float32Array;
  /** The key's history with this event added: what to keep for the key's next event. */
  readonly next: FeatureHistoryEntry[];
}

export interface FeatureExtractor {
  readonly names: readonly string[];
  /** Features of `value` at `eventTimeMs` given the key's history, and the history after it. */
  step(history: readonly FeatureHistoryEntry[], value: unknown, eventTimeMs: number): FeatureStep;
}

/** Validates the feature list (errors name the feature) and compiles it. */
export function compileFeatureExtractor(specs: readonly FeatureSpec[], historyMax = 256): FeatureExtractor {
  if (!Number.isInteger(historyMax) || historyMax < 1 || historyMax > 100_000) {
    throw new ConfigError('scoring.historyMax', historyMax, 'use a whole number from 1 to 100000');
  }
  const features = [...specs];
  if (features.length === 0) throw new ConfigError('scoring.features', features, 'name at least one feature');
  const names = new Set<string>();
  let maxLookbackMs = 0;
  const tracked = new Set<string>();
  features.forEach((f, i) => {
    if (typeof f.name !== 'string' || f.name === '' || names.has(f.name)) {
      throw new ConfigError(`scoring.features[${i}].name`, f.name, 'give each feature a unique, non-empty name');
    }
    names.add(f.name);
    if ('window' in f) {
      if (!(f.window.lookbackMs > 0))
        throw new ConfigError(`scoring.features[${i}].window.lookbackMs`, f.window.lookbackMs, 'use a positive duration in ms');
      if (f.window.aggregate !== 'count' && f.window.field === undefined) {
        throw new ConfigError(`scoring.features[${i}].window.field`, undefined, `name the field to ${f.window.aggregate}`);
      }
      maxLookbackMs = Math.max(maxLookbackMs, f.window.lookbackMs);
      if (f.window.field !== undefined) tracked.add(f.window.field);
    } else if ('ratioToMean' in f) {
      maxLookbackMs = Math.max(maxLookbackMs, f.ratioToMean.lookbackMs);
      tracked.add(f.ratioToMean.field);
    } else if ('speedKmh' in f) {
      tracked.add(f.speedKmh.lat);
      tracked.add(f.speedKmh.lon);
    }
  });

  // Each look-back's reducer, built once (reducers keep no state between folds).
  const reducers = features.map((f) =>
    'window' in f
      ? lookbackReducer(f.window.aggregate, f.window.field)
      : 'ratioToMean' in f
        ? lookbackReducer('mean', f.ratioToMean.field)
        : undefined,
  );

  return {
    names: features.map((f) => f.name),
    step(all, value, now) {
      const history = all.filter((h) => h.t <= now && h.t > now - maxLookbackMs);
      const previous = all.filter((h) => h.t <= now).at(-1);
      const values: Record<string, number> = {};
      const row = new Float32Array(features.length);
      features.forEach((f, i) => {
        const raw = featureValue(f, reducers[i], value, now, history, previous);
        const v = f.log === true ? Math.log1p(Math.max(0, raw)) : raw;
        values[f.name] = v;
        row[i] = v;
      });
      const entry: FeatureHistoryEntry = { t: now, v: {} };
      for (const path of tracked) entry.v[path] = readField(value, path);
      // Out-of-order events are inserted in time order; only the newest historyMax are kept.
      const next = [...all.filter((h) => h.t > now - maxLookbackMs || maxLookbackMs === 0), entry]
        .sort((a, b) => a.t - b.t)
        .slice(-historyMax);
      return { values, row, next };
    },
  };
}

function featureValue(
  f: FeatureSpec,
  reducer: LookbackReducer | undefined,
  value: unknown,
  now: number,
  history: readonly FeatureHistoryEntry[],
  previous: FeatureHistoryEntry | undefined,
): number {
  if ('field' in f) return toNumber(readField(value, f.field));
  if ('window' in f) {
    return aggregateLookback(reducer as LookbackReducer, history, now - f.window.lookbackMs);
  }
  if ('ratioToMean' in f) {
    const { field, lookbackMs } = f.ratioToMean;
    const mean = aggregateLookback(reducer as LookbackReducer, history, now - lookbackMs);
    return mean === 0 ? 1 : toNumber(readField(value, field)) / mean;
  }
  if ('secondsSinceLast' in f) {
    return previous === undefined ? f.secondsSinceLast.capSeconds : Math.min(f.secondsSinceLast.capSeconds, (now - previous.t) / 1000);
  }
  const { lat, lon } = f.speedKmh;
  if (previous === undefined) return 0;
  const km = haversineKm(
    toNumber(previous.v[lat]),
    toNumber(previous.v[lon]),
    toNumber(readField(value, lat)),
    toNumber(readField(value, lon)),
  );
  const hours = Math.max((now - previous.t) / 3_600_000, 1 / 3600);
  return km / hours;
}

/** A look-back aggregate's name in functions/windows. */
const WINDOW_AGGREGATE: Readonly<Record<WindowAggregate, AggregateName>> = {
  count: 'count',
  sum: 'sum',
  mean: 'mean',
  min: 'min',
  max: 'max',
  distinct: 'distinct-count',
};

type LookbackReducer = Reducer<FeatureHistoryEntry, unknown, unknown>;

/**
 * The windows reducer for a look-back aggregate over history entries. Values read as numbers
 * (non-numbers count as 0); distinct compares their text and stays exact (the history is bounded).
 */
function lookbackReducer(aggregate: WindowAggregate, field: string | undefined): LookbackReducer {
  const read = (h: FeatureHistoryEntry): number | string | null | undefined => h.v[field as string];
  const extract =
    aggregate === 'distinct'
      ? (h: unknown) => String(read(h as FeatureHistoryEntry))
      : (h: unknown) => toNumber(read(h as FeatureHistoryEntry));
  return builtInReducer(WINDOW_AGGREGATE[aggregate], extract, Number.POSITIVE_INFINITY) as LookbackReducer;
}

/** Folds the entries after `fromMs` (exclusive) through the reducer; an empty aggregate is 0. */
function aggregateLookback(reducer: LookbackReducer, history: readonly FeatureHistoryEntry[], fromMs: number): number {
  let acc = reducer.init();
  for (const h of history) if (h.t > fromMs) acc = reducer.add(acc, h, h.t);
  const result = reducer.result(acc);
  return typeof result === 'number' ? result : 0;
}

/** A field of a record by dot path: numbers and strings as they are, booleans as 1/0, else null. */
export function readField(value: unknown, path: string): number | string | null {
  let node: unknown = value;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return null;
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node === 'number' || typeof node === 'string') return node;
  if (typeof node === 'boolean') return node ? 1 : 0;
  return null;
}

function toNumber(x: number | string | null | undefined): number {
  if (typeof x === 'number') return Number.isFinite(x) ? x : 0;
  if (typeof x === 'string') {
    const n = Number(x);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * Built-in aggregations as reducers. Every accumulator is JSON-safe (see `Reducer`): min/max use
 * null for "nothing yet" because Infinity does not survive JSON.
 */
import { formatValue } from '../errors.ts';
import { WindowValueError } from './errors.ts';
import { hllAdd, hllCreate, hllEstimate, hllMerge } from './hyperloglog.ts';
import type { Reducer } from './reducer.ts';

export type AggregateName = 'count' | 'sum' | 'mean' | 'min' | 'max' | 'distinct-count' | 'collect';

/** One value with its event time, as kept by last-N and collect. */
export interface TimedValue<V = unknown> {
  readonly eventTimeMs: number;
  readonly value: V;
}

type Extract = (value: unknown) => unknown;

function numeric(extract: Extract, value: unknown): number {
  const n = extract(value);
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new WindowValueError('window aggregate needs a finite number; set extract to pick one from the value', {
      got: formatValue(n),
    });
  }
  return n;
}

export function countReducer(): Reducer<unknown, number, number> {
  return { init: () => 0, add: (a) => a + 1, merge: (a, b) => a + b, result: (a) => a };
}

export function sumReducer(extract: Extract): Reducer<unknown, number, number> {
  return { init: () => 0, add: (a, v) => a + numeric(extract, v), merge: (a, b) => a + b, result: (a) => a };
}

export function meanReducer(extract: Extract): Reducer<unknown, { sum: number; n: number }, number | null> {
  return {
    init: () => ({ sum: 0, n: 0 }),
    add: (a, v) => ({ sum: a.sum + numeric(extract, v), n: a.n + 1 }),
    merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
    result: (a) => (a.n === 0 ? null : a.sum / a.n),
  };
}

export function extremeReducer(extract: Extract, pick: 'min' | 'max'): Reducer<unknown, number | null, number | null> {
  const better = (a: number | null, b: number | null): number | null => {
    if (a === null) return b;
    if (b === null) return a;
    return pick === 'min' ? Math.min(a, b) : Math.max(a, b);
  };
  return { init: () => null, add: (a, v) => better(a, numeric(extract, v)), merge: better, result: (a) => a };
}

/** Exact members while small; a HyperLogLog sketch once there are more than `exactLimit`. */
export interface DistinctAcc {
  exact: Record<string, 1> | null;
  n: number;
  hll: number[] | null;
}

/**
 * Distinct count: exact up to `exactLimit` distinct values per window, then approximate
 * (HyperLogLog, about 1.6% standard error). Values are compared by type and JSON text.
 */
export function distinctCountReducer(extract: Extract, exactLimit: number): Reducer<unknown, DistinctAcc, number> {
  const toSketch = (acc: DistinctAcc): DistinctAcc => {
    const hll = hllCreate();
    for (const member of Object.keys(acc.exact ?? {})) hllAdd(hll, member);
    return { exact: null, n: 0, hll };
  };
  const addMember = (acc: DistinctAcc, member: string): DistinctAcc => {
    if (acc.hll !== null) {
      hllAdd(acc.hll, member);
      return acc;
    }
    const exact = acc.exact ?? {};
    if (exact[member] === undefined) {
      exact[member] = 1;
      acc.n++;
    }
    acc.exact = exact;
    return acc.n > exactLimit ? toSketch(acc) : acc;
  };
  return {
    init: () => ({ exact: {}, n: 0, hll: null }),
    add: (acc, v) => addMember(acc, memberKey(extract(v))),
    merge(a, b) {
      if (a.hll === null && b.hll === null) {
        let out = a;
        for (const member of Object.keys(b.exact ?? {})) out = addMember(out, member);
        return out;
      }
      const sa = a.hll === null ? toSketch(a) : a;
      const sb = b.hll === null ? toSketch(b) : b;
      hllMerge(sa.hll ?? [], sb.hll ?? []);
      return sa;
    },
    result: (acc) => (acc.hll === null ? acc.n : hllEstimate(acc.hll)),
  };
}

function memberKey(v: unknown): string {
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v}${String(v)}`;
  return `j${JSON.stringify(v) ?? 'undefined'}`;
}

/**
 * The N values with the latest event times, oldest first (ties keep arrival order). By event time
 * rather than arrival so out-of-order input and session merges give the same answer.
 */
export function lastNReducer(extract: Extract, n: number): Reducer<unknown, TimedValue[], unknown[]> {
  const trim = (list: TimedValue[]): TimedValue[] => (list.length > n ? list.slice(list.length - n) : list);
  return {
    init: () => [],
    add(acc, v, eventTimeMs) {
      insertByTime(acc, { eventTimeMs, value: extract(v) });
      return trim(acc);
    },
    merge: (a, b) => trim(mergeByTime(a, b)),
    result: (acc) => acc.map((t) => t.value),
  };
}

/** Every value in event-time order. Unbounded: for small windows and the test driver. */
export function collectReducer(extract: Extract): Reducer<unknown, TimedValue[], TimedValue[]> {
  return {
    init: () => [],
    add(acc, v, eventTimeMs) {
      insertByTime(acc, { eventTimeMs, value: extract(v) });
      return acc;
    },
    merge: mergeByTime,
    result: (acc) => acc,
  };
}

function insertByTime(list: TimedValue[], item: TimedValue): void {
  let i = list.length;
  while (i > 0 && (list[i - 1]?.eventTimeMs ?? 0) > item.eventTimeMs) i--;
  list.splice(i, 0, item);
}

function mergeByTime(a: TimedValue[], b: TimedValue[]): TimedValue[] {
  const out: TimedValue[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.eventTimeMs <= y.eventTimeMs)) {
      if (x !== undefined) out.push(x);
      i++;
    } else {
      out.push(y);
      j++;
    }
  }
  return out;
}

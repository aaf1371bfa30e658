/**
 * The built-in handler most tenants need without writing code: per-key features from sliding
 * look-back windows over the key's recent events, then the namespace's model, then the decision
 * policy's bands. Decisions go to `predictions`; blocks also to `actions`, reviews to `review`.
 *
 * Features are computed at each event from a bounded per-key history kept in keyed state, so
 * they survive restarts and need no timers: count/sum/mean/min/max/distinct over the last
 * `lookbackMs`, the amount against the key's mean, the time since the previous event, and the
 * speed implied by two consecutive positions (impossible travel).
 */
import type { EventRecord, HandlerContext, ProcessFn } from '../contract.ts';
import { ConfigError } from '../errors.ts';
import { compileDecisionPolicy, decide, type Decision, type DecisionPolicyOptions } from './decision-policy.ts';
import { compilePriorityRule, type PriorityRuleSpec } from './priority-rule.ts';
import { auditEntry, type DecisionAuditEvent } from './registry/index.ts';

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

export interface ScoringHandlerOptions {
  features: readonly FeatureSpec[];
  /** Field of the event holding its id (dot path). @default none: the message id */
  idField?: string;
  policy?: DecisionPolicyOptions;
  /** Events kept per key for the look-back windows. @default 256 */
  historyMax?: number;
  /** Put the feature values on each prediction (useful for audit and training). @default true */
  emitFeatures?: boolean;
  /** #9: write one record per decision to the `audit` topic (inputs, output, versions, shadow). @default true */
  audit?: boolean;
  /**
   * #26: events matching this rule (or any rule of a list) are scored in the micro-batcher's high
   * lane (smaller batches, shorter wait, shed last), e.g. "amount > 1000". @default none
   */
  priority?: PriorityRuleSpec | readonly PriorityRuleSpec[];
}

/** A prediction as written to the `predictions` topic (PREDICTION_SCHEMA). */
export interface Prediction {
  eventId: string;
  key: string | null;
  decision: Decision;
  score: number | null;
  modelVersion: string | null;
  shadowScore: number | null;
  shadowModelVersion: string | null;
  policyVersion: string;
  fallbackReason: string | null;
  features: Record<string, number> | null;
  traceId: string;
  eventTime: number;
}

interface HistoryEntry {
  t: number;
  /** The fields the windows use, by dot path. */
  v: Record<string, number | string | null>;
}

const HISTORY_PREFIX = 'scoring/';

export function createScoringHandler<T = Record<string, unknown>>(options: ScoringHandlerOptions): ProcessFn<T> {
  const policy = compileDecisionPolicy(options.policy);
  const historyMax = options.historyMax ?? 256;
  if (!Number.isInteger(historyMax) || historyMax < 1 || historyMax > 100_000) {
    throw new ConfigError('scoring.historyMax', historyMax, 'use a whole number from 1 to 100000');
  }
  const features = [...options.features];
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
      if (!(f.window.lookbackMs > 0)) throw new ConfigError(`scoring.features[${i}].window.lookbackMs`, f.window.lookbackMs, 'use a positive duration in ms');
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
  const emitFeatures = options.emitFeatures ?? true;
  const audit = options.audit ?? true;
  const isPriority = options.priority === undefined ? undefined : compilePriorityRule(options.priority);

  return async (record: EventRecord<T>, ctx: HandlerContext) => {
    const stateKey = `${HISTORY_PREFIX}${record.key ?? ''}`;
    const all = (ctx.state.get(stateKey) as HistoryEntry[] | undefined) ?? [];
    const now = record.eventTimeMs;
    const history = all.filter((h) => h.t <= now && h.t > now - maxLookbackMs);
    const previous = all.filter((h) => h.t <= now).at(-1);
    const values: Record<string, number> = {};
    const row = new Float32Array(features.length);
    features.forEach((f, i) => {
      const raw = featureValue(f, record.value, now, history, previous);
      const v = f.log === true ? Math.log1p(Math.max(0, raw)) : raw;
      values[f.name] = v;
      row[i] = v;
    });

    const priority = isPriority?.(record.value) === true ? 'high' : 'normal';
    const s = await ctx.score(row, record.key === undefined ? { priority } : { key: record.key, priority });
    const decision = s.kind === 'scored' ? decide(policy, s.score) : s.decision;
    const shadow = s.kind === 'scored' ? s.shadow : undefined; // #9
    const id = options.idField === undefined ? null : readField(record.value, options.idField);
    const score = s.kind === 'scored' ? s.score : null;
    const modelVersion = s.kind === 'scored' ? s.modelVersion : null;
    const common = {
      eventId: id === null ? record.messageId : String(id),
      key: record.key ?? null,
      score,
      modelVersion,
      policyVersion: policy.version,
      traceId: record.messageId,
      eventTime: record.eventTimeMs,
    };
    const prediction: Prediction = {
      ...common,
      decision,
      shadowScore: shadow?.score ?? null, // #9
      shadowModelVersion: shadow?.modelVersion ?? null, // #9
      fallbackReason: s.kind === 'fallback' ? s.reason : null,
      features: emitFeatures ? values : null,
    };
    ctx.emit(prediction, { to: 'predictions' });
    if (audit) {
      // #9: what an auditor needs to explain this decision, without the input topic.
      const event: DecisionAuditEvent = {
        type: 'decision',
        traceId: record.messageId,
        eventId: prediction.eventId,
        key: prediction.key,
        inputs: values,
        output: { decision, score, fallbackReason: prediction.fallbackReason },
        modelVersion,
        policyVersion: policy.version,
        route: s.kind === 'scored' ? (s.route ?? null) : null,
        latencyMs: s.kind === 'scored' ? (s.latencyMs ?? null) : null,
        shadow: shadow === undefined ? null : { ...shadow, decision: decide(policy, shadow.score) },
        eventTimeMs: record.eventTimeMs,
      };
      ctx.emit(auditEntry(record.eventTimeMs, modelVersion ?? 'no-model', 'decision', record.messageId, event), { to: 'audit' });
    }
    if (decision === 'block') {
      // One action per input event: replays of the same event carry the same key.
      ctx.emit({ ...common, idempotencyKey: `${common.eventId}:block`, action: 'block' }, { to: 'actions' });
    }
    if (decision === 'review') ctx.emit({ ...common, status: 'open', features: prediction.features }, { to: 'review' });

    const entry: HistoryEntry = { t: now, v: {} };
    for (const path of tracked) entry.v[path] = readField(record.value, path);
    // Out-of-order events are inserted in time order; only the newest historyMax are kept.
    const next = [...all.filter((h) => h.t > now - maxLookbackMs || maxLookbackMs === 0), entry].sort((a, b) => a.t - b.t).slice(-historyMax);
    ctx.state.put(stateKey, next);
  };
}

function featureValue(
  f: FeatureSpec,
  value: unknown,
  now: number,
  history: readonly HistoryEntry[],
  previous: HistoryEntry | undefined,
): number {
  if ('field' in f) return toNumber(readField(value, f.field));
  if ('window' in f) {
    const { aggregate, field, lookbackMs } = f.window;
    const inWindow = history.filter((h) => h.t > now - lookbackMs);
    if (aggregate === 'count') return inWindow.length;
    const xs = inWindow.map((h) => h.v[field as string]);
    if (aggregate === 'distinct') return new Set(xs.map((x) => String(x))).size;
    const nums = xs.map(toNumber);
    if (nums.length === 0) return 0;
    switch (aggregate) {
      case 'sum':
        return nums.reduce((a, b) => a + b, 0);
      case 'mean':
        return nums.reduce((a, b) => a + b, 0) / nums.length;
      case 'min':
        return Math.min(...nums);
      case 'max':
        return Math.max(...nums);
    }
  }
  if ('ratioToMean' in f) {
    const { field, lookbackMs } = f.ratioToMean;
    const nums = history.filter((h) => h.t > now - lookbackMs).map((h) => toNumber(h.v[field]));
    const mean = nums.length === 0 ? 0 : nums.reduce((a, b) => a + b, 0) / nums.length;
    return mean === 0 ? 1 : toNumber(readField(value, field)) / mean;
  }
  if ('secondsSinceLast' in f) {
    return previous === undefined ? f.secondsSinceLast.capSeconds : Math.min(f.secondsSinceLast.capSeconds, (now - previous.t) / 1000);
  }
  const { lat, lon } = f.speedKmh;
  if (previous === undefined) return 0;
  const km = haversineKm(toNumber(previous.v[lat]), toNumber(previous.v[lon]), toNumber(readField(value, lat)), toNumber(readField(value, lon)));
  const hours = Math.max((now - previous.t) / 3_600_000, 1 / 3600);
  return km / hours;
}

function readField(value: unknown, path: string): number | string | null {
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

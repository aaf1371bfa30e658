/**
 * The built-in handler most tenants need without writing code: per-key features from sliding
 * look-back windows over the key's recent events, then the namespace's model, then the decision
 * policy's bands. Decisions go to `predictions`; blocks also to `actions`, reviews to `review`.
 *
 * Features are computed at each event from a bounded per-key history kept in keyed state, so
 * they survive restarts and need no timers (feature-extractor.ts: the one feature function that
 * `beamline features export` also replays topics through, #23).
 */
import type { EventRecord, HandlerContext, ProcessFn } from '../contract.ts';
import { compileDecisionPolicy, decide, type Decision, type DecisionPolicyOptions } from './decision-policy.ts';
import { compilePriorityRule, type PriorityRuleSpec } from './priority-rule.ts';
import { compileFeatureExtractor, readField, type FeatureHistoryEntry, type FeatureSpec } from './feature-extractor.ts';
import { auditEntry, type DecisionAuditEvent } from './model-registry/index.ts';
import { newTraceContext, traceContextOf } from '../telemetry.ts';

export type { FeatureSpec, WindowAggregate } from './feature-extractor.ts';

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

const HISTORY_PREFIX = 'scoring/';

export function createScoringHandler<T = Record<string, unknown>>(options: ScoringHandlerOptions): ProcessFn<T> {
  const policy = compileDecisionPolicy(options.policy);
  // #23: the same extractor `beamline features export` replays topics through.
  const extractor = compileFeatureExtractor(options.features, options.historyMax ?? 256);
  const emitFeatures = options.emitFeatures ?? true;
  const audit = options.audit ?? true;
  const isPriority = options.priority === undefined ? undefined : compilePriorityRule(options.priority);

  return async (record: EventRecord<T>, ctx: HandlerContext) => {
    const stateKey = `${HISTORY_PREFIX}${record.key ?? ''}`;
    const all = (ctx.state.get(stateKey) as FeatureHistoryEntry[] | undefined) ?? [];
    const { values, row, next } = extractor.step(all, record.value, record.eventTimeMs);

    const priority = isPriority?.(record.value) === true ? 'high' : 'normal';
    const s = await ctx.score(row, record.key === undefined ? { priority } : { key: record.key, priority });
    const decision = s.kind === 'scored' ? decide(policy, s.score) : s.decision;
    const shadow = s.kind === 'scored' ? s.shadow : undefined; // #9
    const id = options.idField === undefined ? null : readField(record.value, options.idField);
    const score = s.kind === 'scored' ? s.score : null;
    const modelVersion = s.kind === 'scored' ? s.modelVersion : null;
    // #22: the W3C trace id of the record's trace (the worker gives it; the in-process driver
    // has none): joins prediction, action, review item, audit and the trace.
    const traceId = ctx.traceId ?? traceContextOf(record.properties)?.traceId ?? newTraceContext().traceId;
    const common = {
      eventId: id === null ? record.messageId : String(id),
      key: record.key ?? null,
      score,
      modelVersion,
      policyVersion: policy.version,
      traceId,
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
        traceId,
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

    ctx.state.put(stateKey, next);
  };
}

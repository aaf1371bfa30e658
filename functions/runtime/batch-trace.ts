/**
 * The spans of one batch (#22), following OpenTelemetry's messaging conventions
 * (messaging.system = pulsar, destination, operation process / send / settle):
 *
 *   producer's span (traceparent on the input message: the record's creation context)
 *     └ `<events> process` (consumer) one per record: its receipt (message id, redelivery count,
 *         subscription), decode and handler
 *         ├ `decode`, and `score` spans below it (ctx.score)
 *         └ `<predictions|actions|review|audit|dead-letter> publish` (producer), whose context is
 *             the output message's traceparent, so the trace goes on downstream; it ends with the
 *             commit and carries its outcome (`beamline.commit.outcome`)
 *   `<events> process batch` (consumer, its own trace) links every record's process span
 *     ├ `state` the keyed-state and window changelog of the batch (records it writes)
 *     └ `commit` (client, operation settle) the batch's transaction (or publish + acks): one
 *         settle for the whole batch, as the conventions allow for batch acknowledgement
 *
 * Four spans per traced record with one output (was six: a receive span per record, ended at once,
 * and a settle span per record repeated what the batch's commit span says). Tracing cost is per
 * traced record, so fewer spans is what keeps 10% sampling within the overhead goal.
 *
 * A record whose producer did not sample it gets no spans; its context still passes through to
 * the outputs. A record with no context that the tracer does not sample gets an unsampled W3C
 * context (flags 00) for its outputs, so they share one trace id downstream. With tracing off
 * (noopTracer) only the pass-through is left: incoming contexts, or new unsampled ones.
 *
 * Attribute names come from OpenTelemetry's semantic conventions (functions/tracing's MESSAGING).
 */
import {
  activeSpanContext,
  newTraceContext,
  traceContextOf,
  traceProperties,
  withSpanContext,
  type Attributes,
  type Exemplar,
  type Span,
  type SpanContext,
  type Tracer,
} from '../telemetry.ts';
import type { ScoreFn } from '../contract.ts';
import type { InputMessage } from './records.ts';
import type { OutputTopic } from '../topics.ts';
import { MESSAGING } from '../tracing/index.ts';

interface RecordSpans {
  /** The context its outputs carry when it has no process span: incoming, or an unsampled new one. */
  readonly inbound: SpanContext | undefined;
  /** The first process span's context: the record's place in its trace. Undefined when not traced. */
  readonly traced: SpanContext | undefined;
  process: Span | undefined;
  /** The open process span has not been handed to a pass yet (the first pass takes it). */
  fresh: boolean;
  readonly publishes: Span[];
}

export interface BatchTraceScope {
  readonly tenant: string;
  readonly namespace: string;
  /** The input topic's full name. */
  readonly topic: string;
  readonly subscription: string;
  /** Full name of a namespace topic, e.g. persistent://t/ns/predictions. */
  readonly topicName: (t: OutputTopic) => string;
}

const SYSTEM = { [MESSAGING.system]: MESSAGING.systemPulsar } as const;

/**
 * The attributes every span of a kind carries in one worker, built once per scope and frozen: a
 * tracer sends a frozen set to its exporter once, not in every span (functions/tracing's
 * attribute-sets.ts), which is most of what a traced record costs the event loop.
 */
interface ScopeAttributes {
  readonly processName: string;
  readonly batchName: string;
  readonly process: Attributes;
  readonly batch: Attributes;
  readonly commit: Attributes;
  /** Per output topic: the publish span's name and attributes. */
  readonly publish: Map<OutputTopic, { readonly name: string; readonly attributes: Attributes }>;
}

const scopeAttributes = new WeakMap<BatchTraceScope, ScopeAttributes>();

function attributesOf(scope: BatchTraceScope): ScopeAttributes {
  let a = scopeAttributes.get(scope);
  if (a !== undefined) return a;
  const common = {
    ...SYSTEM,
    [MESSAGING.destination]: scope.topic,
    [MESSAGING.subscription]: scope.subscription,
    [MESSAGING.consumerGroup]: scope.subscription,
  };
  a = {
    processName: `${scope.topic} process`,
    batchName: `${scope.topic} process batch`,
    process: Object.freeze({ ...common, [MESSAGING.operationType]: MESSAGING.process, [MESSAGING.operationName]: 'process' }),
    batch: Object.freeze({
      ...common,
      'beamline.tenant': scope.tenant,
      'beamline.namespace': scope.namespace,
      [MESSAGING.operationType]: MESSAGING.process,
    }),
    commit: Object.freeze({ ...SYSTEM, [MESSAGING.operationType]: MESSAGING.settle }),
    publish: new Map(),
  };
  scopeAttributes.set(scope, a);
  return a;
}

function publishOf(
  a: ScopeAttributes,
  scope: BatchTraceScope,
  topic: OutputTopic,
): { readonly name: string; readonly attributes: Attributes } {
  let p = a.publish.get(topic);
  if (p === undefined) {
    const name = scope.topicName(topic);
    p = {
      name: `${name} publish`,
      attributes: Object.freeze({
        ...SYSTEM,
        [MESSAGING.destination]: name,
        [MESSAGING.operationType]: MESSAGING.send,
        [MESSAGING.operationName]: 'send',
      }),
    };
    a.publish.set(topic, p);
  }
  return p;
}

export class BatchTrace {
  readonly #tracer: Tracer;
  readonly #scope: BatchTraceScope;
  readonly #records: RecordSpans[];
  #batch: Span | undefined;
  #commit: Span | undefined;
  /** Set when tracing is on. */
  #attributes: ScopeAttributes | undefined;

  constructor(tracer: Tracer, scope: BatchTraceScope, batch: readonly InputMessage[]) {
    this.#tracer = tracer;
    this.#scope = scope;
    if (!tracer.enabled) {
      // Tracing off: only the incoming contexts (or new unsampled ones), to pass on to the outputs.
      this.#records = batch.map((m) => ({
        inbound: traceContextOf(m.properties) ?? newTraceContext(),
        traced: undefined,
        process: undefined,
        fresh: false,
        publishes: [],
      }));
      return;
    }
    const attributes = attributesOf(scope);
    this.#attributes = attributes;
    this.#records = batch.map((m) => {
      const inbound = traceContextOf(m.properties);
      // The sampling decision is made here, once per record (parent-based, or the ratio for a
      // record that came without a context); its own attributes are built only when recorded.
      const process = tracer.startSpan(attributes.processName, {
        kind: 'consumer',
        parent: inbound,
        attributes: attributes.process,
        attributesIfRecorded: () => ({
          [MESSAGING.messageId]: m.messageId,
          'messaging.pulsar.redelivery_count': m.redeliveryCount,
        }),
      });
      if (!process.recording) return { inbound: process.context, traced: undefined, process: undefined, fresh: false, publishes: [] };
      return { inbound, traced: process.context, process, fresh: true, publishes: [] };
    });
    const links = this.#records.flatMap((r) => (r.traced === undefined ? [] : [r.traced]));
    if (links.length > 0) {
      // Its own trace, always recorded when one of its records is.
      this.#batch = tracer.startSpan(attributes.batchName, {
        kind: 'consumer',
        sampled: true,
        links,
        attributes: attributes.batch,
      });
      this.#batch.setAttribute(MESSAGING.batchCount, batch.length);
    }
  }

  /** Starts record i's process span for a pass over the batch (the first pass takes the one opened on receipt). */
  beginProcess(i: number): void {
    const r = this.#records[i];
    if (r?.traced === undefined) return;
    if (r.fresh) {
      r.fresh = false;
      return;
    }
    // A pass re-run (a handler error failed the last one): a new process span in the same trace;
    // the last pass's outputs were thrown away, so their publish spans end as abandoned.
    r.process?.end();
    for (const p of r.publishes) {
      p.setError('pass re-run; output discarded');
      p.end();
    }
    r.publishes.length = 0;
    const a = this.#attributes as ScopeAttributes;
    r.process = this.#tracer.startSpan(a.processName, { kind: 'consumer', parent: r.inbound ?? r.traced, attributes: a.process });
  }

  /** Decodes record i under a `decode` span (when traced); a dead letter marks it failed. */
  async decode<R extends { ok: boolean }>(i: number, fn: () => Promise<R>): Promise<R> {
    const parent = this.#records[i]?.process?.context;
    if (parent === undefined) return fn();
    const span = this.#tracer.startSpan('decode', { parent });
    try {
      const r = await fn();
      span.setAttribute('beamline.decode.outcome', r.ok ? 'ok' : 'dead-letter');
      if (!r.ok) span.setError('dead-lettered: undecodable');
      return r;
    } finally {
      span.end();
    }
  }

  /** Runs the batch's changelog flush under a `state` span of the batch span (when traced). */
  state<R extends { readonly state: readonly unknown[]; readonly windows: readonly unknown[] }>(fn: () => R): R {
    if (this.#batch === undefined) return fn();
    const span = this.#tracer.startSpan('state', { parent: this.#batch.context });
    const r = fn();
    span.setAttribute('beamline.state.changes', r.state.length);
    span.setAttribute('beamline.windows.changes', r.windows.length);
    span.end();
    return r;
  }

  /** Runs fn with record i's process span active (parent of `score` and `windows` spans). */
  within<R>(i: number, fn: () => R): R {
    const r = this.#records[i];
    return r?.process === undefined ? fn() : withSpanContext(r.process.context, fn);
  }

  /** Record i's W3C trace id (traced or not), for `ctx.traceId`. */
  traceIdOf(i: number): string | undefined {
    const r = this.#records[i];
    return r?.process?.context?.traceId ?? r?.inbound?.traceId;
  }

  /**
   * Ends record i's process span; `error` marks it failed (the pass is re-run or the record
   * dead-lettered); `step` adds the handler's keyed-state reads and writes.
   */
  endProcess(i: number, error?: string, step?: { readonly stateReads?: number; readonly stateWrites?: number }): void {
    const p = this.#records[i]?.process;
    if (p === undefined) return;
    if (error !== undefined) p.setError(error);
    if (step?.stateReads !== undefined) p.setAttribute('beamline.state.reads', step.stateReads);
    if (step?.stateWrites !== undefined) p.setAttribute('beamline.state.writes', step.stateWrites);
    p.end();
  }

  /** Ends every process span still open (after a pass). */
  endAllProcess(): void {
    for (const r of this.#records) r.process?.end();
  }

  /** Properties for an output of record i bound for `topic`: a publish span's context, or the inbound context passed through. */
  outputProperties(i: number, topic: OutputTopic): Record<string, string> {
    const r = this.#records[i];
    if (r === undefined) return {};
    if (r.process === undefined) return traceProperties(r.inbound);
    const publish = publishOf(this.#attributes as ScopeAttributes, this.#scope, topic);
    const span = this.#tracer.startSpan(publish.name, { kind: 'producer', parent: r.process.context, attributes: publish.attributes });
    r.publishes.push(span);
    return traceProperties(span.context);
  }

  /** Record i's sampled trace (its first process span), for latency exemplars; none when not recorded. */
  exemplar(i: number): Exemplar | undefined {
    const c = this.#records[i]?.traced;
    return c === undefined ? undefined : { traceId: c.traceId, spanId: c.spanId };
  }

  /** The batch span's trace, for the batch-duration exemplar; none when not recorded. */
  batchExemplar(): Exemplar | undefined {
    const c = this.#batch?.context;
    return c === undefined ? undefined : { traceId: c.traceId, spanId: c.spanId };
  }

  /** The batch's commit begins. */
  beginCommit(records: number, outputs: number): void {
    if (this.#batch === undefined) return;
    const commit = this.#tracer.startSpan('commit', {
      kind: 'client',
      parent: this.#batch.context,
      attributes: (this.#attributes as ScopeAttributes).commit,
    });
    commit.setAttribute(MESSAGING.batchCount, records);
    commit.setAttribute('beamline.outputs', outputs);
    this.#commit = commit;
  }

  /** The commit's outcome: ends the commit, publish and batch spans (and process spans left open). */
  endCommit(outcome: 'committed' | 'aborted' | 'unknown-committed' | 'unknown-aborted'): void {
    if (this.#batch === undefined) return;
    const failed = outcome !== 'committed' && outcome !== 'unknown-committed';
    for (const r of this.#records) {
      for (const p of r.publishes) {
        p.setAttribute('beamline.commit.outcome', outcome);
        if (failed) p.setError(`commit ${outcome}`);
        p.end();
      }
      r.process?.end();
    }
    this.#commit?.setAttribute('beamline.commit.outcome', outcome);
    if (failed) this.#commit?.setError(`commit ${outcome}`);
    this.#commit?.end();
    this.#batch.end();
  }
}

/**
 * `ctx.score` with a `score` span under the active record's process span: the model version it
 * answered with (or the fallback's reason) and the backend.
 */
export function tracedScore(score: ScoreFn, tracer: Tracer, backend: string | undefined): ScoreFn {
  if (!tracer.enabled) return score;
  // Not async itself: an untraced record (most of them) pays no extra promise.
  return (features, options) => {
    const parent = activeSpanContext();
    if (parent === undefined || !parent.sampled) return score(features, options);
    return scoreUnderSpan(score, tracer, backend, parent, features, options);
  };
}

async function scoreUnderSpan(
  score: ScoreFn,
  tracer: Tracer,
  backend: string | undefined,
  parent: SpanContext,
  features: Parameters<ScoreFn>[0],
  options: Parameters<ScoreFn>[1],
): ReturnType<ScoreFn> {
  const span = tracer.startSpan('score', {
    kind: 'internal',
    parent,
    attributes: {
      'beamline.score.features': features.length,
      ...(backend === undefined ? {} : { 'beamline.model.backend': backend }),
      ...(options?.priority === undefined ? {} : { 'beamline.score.priority': options.priority }),
    },
  });
  try {
    const s = await score(features, options);
    span.setAttribute('beamline.score.kind', s.kind);
    if (s.kind === 'scored') {
      span.setAttribute('beamline.model.version', s.modelVersion);
      const at = s.modelVersion.lastIndexOf('@');
      span.setAttribute('beamline.model.name', at > 0 ? s.modelVersion.slice(0, at) : s.modelVersion);
      if (s.route !== undefined) span.setAttribute('beamline.model.route', s.route);
      if (s.latencyMs !== undefined) span.setAttribute('beamline.score.latency_ms', s.latencyMs);
      if (s.batchSize !== undefined) span.setAttribute('beamline.score.batch_size', s.batchSize);
    } else {
      span.setAttribute('beamline.score.fallback_reason', s.reason);
      span.setAttribute('beamline.decision', s.decision);
    }
    return s;
  } catch (err) {
    span.setError((err as { code?: string }).code ?? 'score failed');
    throw err;
  } finally {
    span.end();
  }
}

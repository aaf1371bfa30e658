/**
 * The spans of one batch (#22), following OpenTelemetry's messaging conventions
 * (messaging.system = pulsar, destination, operation receive / process / publish / settle):
 *
 *   producer's span (traceparent on the input message)
 *     └ `<events> receive`  (consumer)  one per record
 *         └ `<events> process` (consumer) decode + handler; `score` spans below it (ctx.score)
 *             ├ `<predictions|actions|review|audit|dead-letter> publish` (producer), whose
 *             │   context is the output message's traceparent, so the trace goes on downstream
 *             └ `<events> settle` (client) the commit that decided the record
 *   `<events> process batch` (consumer, its own trace) links every record's receive span
 *     ├ `state` the keyed-state and window changelog of the batch (records it writes)
 *     └ `commit` (client) the batch's transaction (or publish + acks)
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
  /** Undefined when the record is not traced (unsampled, or tracing off). */
  readonly receive: Span | undefined;
  process: Span | undefined;
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

export class BatchTrace {
  readonly #tracer: Tracer;
  readonly #scope: BatchTraceScope;
  readonly #records: RecordSpans[];
  #batch: Span | undefined;
  #commit: Span | undefined;

  constructor(tracer: Tracer, scope: BatchTraceScope, batch: readonly InputMessage[]) {
    this.#tracer = tracer;
    this.#scope = scope;
    if (!tracer.enabled) {
      // Tracing off: only the incoming contexts (or new unsampled ones), to pass on to the outputs.
      this.#records = batch.map((m) => ({
        inbound: traceContextOf(m.properties) ?? newTraceContext(),
        receive: undefined,
        process: undefined,
        publishes: [],
      }));
      return;
    }
    const common = {
      ...SYSTEM,
      [MESSAGING.destination]: scope.topic,
      [MESSAGING.subscription]: scope.subscription,
      [MESSAGING.consumerGroup]: scope.subscription,
      'beamline.tenant': scope.tenant,
      'beamline.namespace': scope.namespace,
    };
    const receiveName = `${scope.topic} receive`;
    this.#records = batch.map((m) => {
      const inbound = traceContextOf(m.properties);
      const receive = tracer.startSpan(receiveName, { kind: 'consumer', parent: inbound });
      if (!receive.recording) return { inbound: receive.context, receive: undefined, process: undefined, publishes: [] };
      // Attributes only for recorded spans: an unsampled record costs no allocations beyond this.
      const attributes = {
        ...common,
        [MESSAGING.operationType]: MESSAGING.receive,
        [MESSAGING.operationName]: 'receive',
        [MESSAGING.messageId]: m.messageId,
        'messaging.pulsar.redelivery_count': m.redeliveryCount,
      };
      for (const [k, v] of Object.entries(attributes)) receive.setAttribute(k, v);
      receive.end();
      return { inbound, receive, process: undefined, publishes: [] };
    });
    const links = this.#records.flatMap((r) => (r.receive?.context === undefined ? [] : [r.receive.context]));
    if (links.length > 0) {
      // Its own trace, always recorded when one of its records is.
      this.#batch = tracer.startSpan(`${scope.topic} process batch`, {
        kind: 'consumer',
        sampled: true,
        links,
        attributes: { ...common, [MESSAGING.operationType]: MESSAGING.process, [MESSAGING.batchCount]: batch.length },
      });
    }
  }

  /** Starts record i's process span (one per pass over the batch). */
  beginProcess(i: number): void {
    const r = this.#records[i];
    if (r?.receive === undefined) return;
    r.process?.end();
    r.publishes.length = 0;
    r.process = this.#tracer.startSpan(`${this.#scope.topic} process`, {
      kind: 'consumer',
      parent: r.receive.context,
      attributes: {
        ...SYSTEM,
        [MESSAGING.destination]: this.#scope.topic,
        [MESSAGING.operationType]: MESSAGING.process,
        [MESSAGING.operationName]: 'process',
      },
    });
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
    const name = this.#scope.topicName(topic);
    const span = this.#tracer.startSpan(`${name} publish`, {
      kind: 'producer',
      parent: r.process.context,
      attributes: {
        ...SYSTEM,
        [MESSAGING.destination]: name,
        [MESSAGING.operationType]: MESSAGING.send,
        [MESSAGING.operationName]: 'send',
      },
    });
    r.publishes.push(span);
    return traceProperties(span.context);
  }

  /** Record i's sampled trace (its receive span), for latency exemplars; none when not recorded. */
  exemplar(i: number): Exemplar | undefined {
    const c = this.#records[i]?.receive?.context;
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
    this.#commit = this.#tracer.startSpan('commit', {
      kind: 'client',
      parent: this.#batch.context,
      attributes: {
        ...SYSTEM,
        [MESSAGING.operationType]: MESSAGING.settle,
        [MESSAGING.batchCount]: records,
        'beamline.outputs': outputs,
      },
    });
  }

  /** The commit's outcome: ends the commit, settle, publish and batch spans. */
  endCommit(outcome: 'committed' | 'aborted' | 'unknown-committed' | 'unknown-aborted'): void {
    if (this.#batch === undefined) return;
    const failed = outcome !== 'committed' && outcome !== 'unknown-committed';
    for (const r of this.#records) {
      if (r.process === undefined) continue;
      for (const p of r.publishes) {
        if (failed) p.setError(`commit ${outcome}`);
        p.end();
      }
      const settle = this.#tracer.startSpan(`${this.#scope.topic} settle`, {
        kind: 'client',
        parent: r.process.context,
        attributes: {
          ...SYSTEM,
          [MESSAGING.destination]: this.#scope.topic,
          [MESSAGING.operationType]: MESSAGING.settle,
          [MESSAGING.operationName]: 'ack',
          'beamline.commit.outcome': outcome,
        },
      });
      if (failed) settle.setError(`commit ${outcome}`);
      settle.end();
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
  return async (features, options) => {
    const parent = activeSpanContext();
    if (parent === undefined || !parent.sampled) return score(features, options);
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
  };
}

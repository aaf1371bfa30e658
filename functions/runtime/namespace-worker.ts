/**
 * The namespace worker: consume a batch, decode and tokenize, run the handler over state and
 * windows, then commit outputs, state changes and input acks together. A bad record goes to the
 * dead-letter topic with its reason; the worker keeps going.
 *
 * Failure model: a handler error or a failed commit may leave in-memory state ahead of what is
 * committed, so the engine undoes the batch's state changes (or, when it cannot, is rebuilt from
 * the `state` topic) before anything else runs. A record whose handler keeps failing is
 * dead-lettered and its batch re-run without it.
 *
 * Commit outcomes (#27). `io.commit()` resolves only when the batch committed and rejects with
 * one of two outcomes; the worker never guesses between them:
 *
 *   decide batch -> commit --resolved--> committed: checkpoint state, remember the inputs'
 *        ^                                ids as committed (InputGate), next batch
 *        |          --aborted (known: the transaction's abort was confirmed, or it never
 *        |            reached commit)--> undo the batch in memory, hand exactly its inputs
 *        |            back (release), hold newer inputs until they are back
 *        |          --unknown (the coordinator could not say)--> rebuild state from the `state`
 *        |            topic and read this worker's commit marker there: the batch's marker
 *        |            means committed (as above, state already right), else aborted (as above,
 *        |            state already right)
 *        +---- held inputs released in per-key order once every handed-back input is back
 *
 * Each effectively-once batch writes a marker record (key `t/<worker instance>`, value: the
 * batch's sequence number) to the `state` topic in its transaction; it is visible exactly when
 * the batch committed. (PulsarWorkerIo keeps retrying END_TXN before it reports unknown, so this
 * is the last resort, e.g. a coordinator that forgot the transaction after committing it.)
 * TODO(#17): tombstone the marker on drain (one compacted key per worker instance remains).
 */
import { systemClock, type Clock } from '../clock.ts';
import { Backoff } from '../backoff.ts';
import type { EmitTarget, ScoreFn } from '../contract.ts';
import { isRetriable } from '../errors.ts';
import { AuditChainWriter, auditSealOf } from '../governance/index.ts';
import { lateEventReason } from '../windows/index.ts';
import { noopMetrics, noopTracer, silentLogger, type Logger, type Metrics, type Tracer } from '../telemetry.ts';
import { BatchTrace, tracedScore, type BatchTraceScope } from './batch-trace.ts';
import { HandlerEngine, type EmittedOutput, type EngineStep, type HandlerEngineOptions } from './handler-engine.ts';
import type { Ingress } from './ingress.ts';
import { deadLetterOutput, stateOutputs } from './batch-outputs.ts';
import { InputGate, MAX_COMMITTED_IDS } from './input-gate.ts';
import type { DeadLetterRecord, InputMessage, OutputMessage } from './records.ts';
import {
  commitOutcomeOf,
  MARKER_KEY_PREFIX,
  STATE_KEY_PREFIX,
  WINDOW_KEY_PREFIX,
  type ChangelogSnapshot,
  type WorkerIo,
} from './worker-io.ts';
import { compileWorkerOptions, namespaceTopic, type WorkerConfig, type WorkerOptions } from './worker-options.ts';
import { WorkerMetrics } from './worker-metrics.ts';
import { StageMonitor } from './stage-monitor.ts';
import { stringifyJson } from '../json.ts';
import { PULSAR_ERROR_CODES } from '../pulsar/index.ts';

export type WorkerState = 'created' | 'restoring' | 'running' | 'draining' | 'closed' | 'failed';

type DistributiveOmit<U, K extends PropertyKey> = U extends unknown ? Omit<U, K> : never;

/** The handler part of the engine's options (the worker fills in the rest). */
export type WorkerHandler<T> = DistributiveOmit<
  HandlerEngineOptions<T>,
  'tenant' | 'namespace' | 'topic' | 'clock' | 'metrics' | 'log' | 'score'
>;

export interface NamespaceWorkerDeps<T> {
  io: WorkerIo;
  ingress: Ingress<T>;
  handler: WorkerHandler<T>;
  /** @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  log?: Logger;
  /** @default noopMetrics() */
  metrics?: Metrics;
  /** The namespace's scorer (`ctx.score`). @default none: scores are 'no-model' fallbacks */
  score?: ScoreFn;
  /**
   * Encodes a handler's output for its topic (with the topic's Avro schema, where it has one).
   * A value the topic's schema refuses dead-letters its input record. @default JSON text
   */
  encodeOutput?: OutputEncoder;
  /** Names this worker's commit marker on the `state` topic. @default a random UUID */
  instanceId?: string;
  /** #22: spans per record and batch (see batch-trace.ts). @default noopTracer(): context passes through */
  tracer?: Tracer;
  /** #22: the scorer's backend, recorded on `score` spans. @default none */
  scoreBackend?: string;
  /**
   * #21: hash-chains this worker's `audit` records (`beamline audit verify`). @default a chain
   * sealed with bare SHA-256 (start-worker seals with the tenant key when it has a keyring)
   */
  auditChain?: AuditChainWriter;
}

/** Turns one emitted value into the payload for its topic; throws when the topic refuses it. */
export type OutputEncoder = (topic: EmitTarget, value: unknown) => Buffer;

const jsonEncoder: OutputEncoder = (_topic, value) => Buffer.from(stringifyJson(value) ?? 'null');

/** How long an idle receive waits before the loop looks at its state again. */
const IDLE_RECEIVE_MS = 250;
/** How often the subscription backlog gauge is refreshed. */
const BACKLOG_EVERY_MS = 5_000;
/** While inputs handed back are awaited, ask for them again this often (a request sent while
 * the consumer was disconnected is lost). */
const HOLD_REASK_MS = 1_000;
/** Stop holding newer inputs after this long without the handed-back ones (liveness first). */
const HOLD_GIVE_UP_MS = 60_000;
/**
 * After handing inputs back past the hold's bound, wait this long before receiving again: what
 * the consumer gets meanwhile is mostly newer input that would go straight back (#26).
 */
const OVERFLOW_PAUSE_MS = 50;
/** First and longest pause between attempts to re-read state after a failed commit. */
const RESTORE_RETRY_MS = 500;
const RESTORE_RETRY_MAX_MS = 5_000;

export class NamespaceWorker<T = unknown> {
  readonly config: WorkerConfig;
  readonly #io: WorkerIo;
  readonly #ingress: Ingress<T>;
  readonly #engine: HandlerEngine<T>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #m: WorkerMetrics;
  readonly #encode: OutputEncoder;
  readonly #tracer: Tracer;
  readonly #traceScope: BatchTraceScope;
  #state: WorkerState = 'created';
  #loop: Promise<void> | undefined;
  #starting: Promise<void> | undefined;
  #draining: Promise<void> | undefined;
  #failure: unknown;
  #processed = 0;
  readonly #gate: InputGate;
  readonly #markerKey: string;
  #batchSeq = 0;
  /** #26: names the stage that bounds throughput (metric and log line). */
  readonly #stages: StageMonitor;
  readonly #auditChain: AuditChainWriter;

  private constructor(config: WorkerConfig, deps: NamespaceWorkerDeps<T>) {
    this.config = config;
    // Held inputs are in flight too: past maxInFlight, newer ones go back to the broker (#26).
    this.#gate = new InputGate(MAX_COMMITTED_IDS, config.maxInFlight);
    this.#io = deps.io;
    this.#ingress = deps.ingress;
    this.#clock = deps.clock ?? systemClock;
    this.#log = (deps.log ?? silentLogger).child({ component: 'worker', tenant: config.tenant, namespace: config.namespace });
    const metrics = deps.metrics ?? noopMetrics();
    this.#m = new WorkerMetrics(metrics, config);
    this.#encode = deps.encodeOutput ?? jsonEncoder;
    this.#markerKey = `${MARKER_KEY_PREFIX}${deps.instanceId ?? globalThis.crypto.randomUUID()}`;
    this.#stages = new StageMonitor(
      metrics,
      { tenant: config.tenant, namespace: config.namespace },
      { clock: this.#clock, log: this.#log },
    );
    this.#tracer = deps.tracer ?? noopTracer();
    this.#auditChain = deps.auditChain ?? new AuditChainWriter({ seal: auditSealOf(undefined), role: 'worker' });
    this.#traceScope = {
      tenant: config.tenant,
      namespace: config.namespace,
      topic: namespaceTopic(config, config.inputTopic),
      subscription: config.subscription,
      topicName: (t) => namespaceTopic(config, t),
    };
    const score = deps.score === undefined ? undefined : tracedScore(deps.score, this.#tracer, deps.scoreBackend);
    this.#engine = new HandlerEngine<T>({
      ...deps.handler,
      tenant: config.tenant,
      namespace: config.namespace,
      topic: `persistent://${config.tenant}/${config.namespace}/${config.inputTopic}`,
      clock: this.#clock,
      metrics,
      log: this.#log,
      tracer: this.#tracer,
      ...(score === undefined ? {} : { score }),
    } as HandlerEngineOptions<T>);
  }

  /** Validates options and wires the parts; no I/O until `start()`. */
  static create<T>(options: WorkerOptions, deps: NamespaceWorkerDeps<T>): NamespaceWorker<T> {
    return new NamespaceWorker<T>(compileWorkerOptions(options), deps);
  }

  get state(): WorkerState {
    return this.#state;
  }

  /** Inputs committed since start (dead-lettered ones included). */
  get processed(): number {
    return this.#processed;
  }

  get failure(): unknown {
    return this.#failure;
  }

  /** Restores state from the `state` topic, then starts consuming. Idempotent. */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /** Stops taking batches, finishes and commits the one in flight, then closes. Idempotent. */
  drain(deadlineMs = this.config.drainDeadlineMs): Promise<void> {
    this.#draining ??= this.#drain(deadlineMs);
    return this.#draining;
  }

  /** Same as drain with no grace period for new work. Idempotent. */
  close(): Promise<void> {
    return this.drain();
  }

  async #start(): Promise<void> {
    this.#state = 'restoring';
    await this.#restore();
    if (this.#state !== 'restoring') return;
    this.#state = 'running';
    this.#log.info({ guarantee: this.config.guarantee }, 'worker running');
    this.#loop = this.#run().catch((err: unknown) => {
      this.#failure = err;
      this.#state = 'failed';
      this.#log.error({ err }, 'worker failed');
    });
  }

  async #drain(deadlineMs: number): Promise<void> {
    if (this.#state === 'created') {
      this.#state = 'closed';
      return;
    }
    await this.#starting?.catch(() => undefined);
    if (this.#state === 'running' || this.#state === 'restoring') this.#state = 'draining';
    this.#log.info({ deadlineMs }, 'worker draining');
    // No new batches: an idle receive returns at once instead of waiting out its timeout.
    this.#io.pause();
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve('deadline'), deadlineMs);
    });
    const finished = await Promise.race([this.#loop ?? Promise.resolve(), deadline]);
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    if (finished === 'deadline') this.#log.warn({ deadlineMs }, 'drain deadline passed; closing with a batch in flight');
    else if (this.config.flushWindowsOnDrain && this.#state === 'draining') await this.#flushWindows();
    await this.#io.close();
    if (this.#state !== 'failed') this.#state = 'closed';
    this.#log.info({ processed: this.#processed }, 'worker closed');
  }

  /** Bounded replays (flushWindowsOnDrain): fire every open window and commit what it emits. */
  async #flushWindows(): Promise<void> {
    if (!this.#engine.hasWindows) return;
    try {
      const step = await this.#engine.advanceWatermark(Number.MAX_SAFE_INTEGER);
      const outputs = step.emitted.map((e) => this.#toOutput(e));
      const changes = this.#engine.flush();
      outputs.push(...stateOutputs(changes.state, STATE_KEY_PREFIX), ...stateOutputs(changes.windows, WINDOW_KEY_PREFIX));
      await this.#io.commit(outputs, []);
      this.#engine.checkpoint();
      this.#log.info({ results: step.emitted.length }, 'open windows flushed on drain');
    } catch (err) {
      // Nothing committed: the windows stay open in the committed state, as without the option.
      this.#log.error({ err }, 'flushing windows on drain failed');
      await this.#rollback().catch(() => undefined);
    }
  }

  #toOutput(e: EmittedOutput, trace?: Record<string, string>): OutputMessage {
    return {
      topic: e.to,
      key: e.key,
      payload: this.#encode(e.to, e.value),
      properties: { ...e.properties, 'beamline.source': e.sourceId, ...trace },
      eventTimeMs: e.eventTimeMs,
    };
  }

  async #restore(): Promise<ChangelogSnapshot> {
    const t0 = this.#clock.monotonic();
    const snapshot = await this.#io.readChangelog();
    this.#engine.reset(snapshot.state, snapshot.windows);
    const seconds = (this.#clock.monotonic() - t0) / 1000;
    const keys = snapshot.state.length + snapshot.windows.length;
    this.#m.restored(keys, seconds);
    this.#log.info({ keys, seconds }, 'state restored');
    return snapshot;
  }

  /**
   * Back to the last committed state: undo in memory when the engine can (O(keys the batch
   * touched)), else a full restore from the `state` topic (O(state)).
   */
  async #rollback(): Promise<void> {
    if (this.#engine.rollback()) return;
    this.#log.warn({}, 'state undo not possible; restoring from the state topic');
    await this.#restoreRetrying();
  }

  /**
   * #restore() after a failed commit, asked again while it fails retriably (a broker that is still
   * recovering its topics: measured, GET_LAST_MESSAGE_ID timing out after a restart). Failing the
   * worker here would stop a process whose state is merely not re-read yet; nothing is decided
   * until the restore succeeds.
   */
  async #restoreRetrying(): Promise<ChangelogSnapshot> {
    const backoff = new Backoff(RESTORE_RETRY_MS, RESTORE_RETRY_MAX_MS);
    for (;;) {
      try {
        return await this.#restore();
      } catch (err) {
        if (!isRetriable(err) || (this.#state !== 'running' && this.#state !== 'draining')) throw err;
        const delayMs = backoff.next();
        this.#log.warn({ err, delayMs }, 'state restore failed; asking again');
        await this.#clock.sleep(delayMs);
      }
    }
  }

  async #run(): Promise<void> {
    const c = this.config;
    let backlogAt = 0;
    let holdSince: number | undefined;
    let askedAt = 0;
    /** Inputs handed back past the hold's bound: when one last came back (or the first went). */
    let overflowProgressAt: number | undefined;
    let overflowReturned = 0;
    while (this.#state === 'running') {
      if (this.#clock.monotonic() >= backlogAt) {
        backlogAt = this.#clock.monotonic() + BACKLOG_EVERY_MS;
        this.#io.backlog().then(
          (n) => n !== undefined && this.#m.backlog(n),
          () => undefined,
        );
      }
      if (this.#gate.ready === 0) {
        const waitFrom = this.#clock.monotonic();
        const received = await this.#io.receive(c.batchMaxRecords, IDLE_RECEIVE_MS, c.batchMaxWaitMs);
        this.#stages.add('receive', this.#clock.monotonic() - waitFrom);
        const duplicates = this.#gate.admit(received);
        if (duplicates.length > 0) {
          this.#log.info({ records: duplicates.length }, 'already committed inputs redelivered; acknowledged, not decided again');
          this.#io.ackCommitted(duplicates);
        }
        const overflow = this.#gate.takeOverflow();
        if (overflow.length > 0) {
          this.#io.release(overflow);
          this.#m.inputsHandedBack(overflow.length);
          await this.#clock.sleep(OVERFLOW_PAUSE_MS);
        }
      }
      if (this.#gate.overflowed > 0) {
        const now = this.#clock.monotonic();
        if (overflowProgressAt === undefined || this.#gate.overflowReturned !== overflowReturned) {
          overflowProgressAt = now;
          overflowReturned = this.#gate.overflowReturned;
        } else if (now - overflowProgressAt >= HOLD_GIVE_UP_MS) {
          const n = this.#gate.forgetOverflow();
          this.#log.warn({ records: n }, 'inputs handed back past the hold bound did not come back; their keys are decided without them');
        }
      } else {
        overflowProgressAt = undefined;
      }
      if (this.#gate.holding) {
        const now = this.#clock.monotonic();
        holdSince ??= now;
        if (now - holdSince >= HOLD_GIVE_UP_MS) {
          const gone = this.#gate.giveUp();
          this.#log.warn(
            { records: gone.length, held: this.#gate.ready },
            'handed-back inputs did not come back; deciding newer inputs without them',
          );
        } else if (now - askedAt >= HOLD_REASK_MS) {
          askedAt = now;
          this.#io.release(this.#gate.missing());
        }
        continue;
      }
      holdSince = undefined;
      const batch = this.#gate.take(c.batchMaxRecords);
      if (batch.length === 0) continue;
      askedAt = await this.#processBatch(batch);
    }
  }

  /** Decides and commits one batch; returns when its inputs were handed back (0 if committed). */
  async #processBatch(batch: readonly InputMessage[]): Promise<number> {
    const t0 = this.#clock.monotonic();
    this.#m.received(batch.length);
    const trace = new BatchTrace(this.#tracer, this.#traceScope, batch);
    const failures = new Map<number, number>();
    const poisoned = new Map<number, DeadLetterRecord>();
    let outputs: OutputMessage[];
    let decided: Array<{ eventTimeMs: number; index: number }>;
    // Each pass either completes or poisons one record (or retries a retriable one), so the
    // number of passes is bounded by the batch size times the retries.
    for (;;) {
      outputs = [];
      decided = [];
      const failedAt = await this.#pass(batch, poisoned, outputs, decided, trace);
      if (failedAt === undefined) break;
      const { index, error } = failedAt;
      trace.endProcess(index, (error as { code?: string }).code ?? 'handler error');
      trace.endAllProcess();
      const n = (failures.get(index) ?? 0) + 1;
      failures.set(index, n);
      if (!isRetriable(error) || n > this.config.handlerRetries) {
        const m = batch[index] as InputMessage;
        const reason = (error as { code?: string }).code === PULSAR_ERROR_CODES.schemaEncode ? 'output-schema-mismatch' : 'handler-error';
        poisoned.set(index, this.#ingress.deadLetter(m, reason, error, this.#clock.now()));
        this.#log.warn({ messageId: m.messageId, err: error }, 'handler failed; record dead-lettered');
      }
      await this.#rollback();
    }
    const changes = trace.state(() => this.#engine.flush());
    outputs.push(...stateOutputs(changes.state, STATE_KEY_PREFIX), ...stateOutputs(changes.windows, WINDOW_KEY_PREFIX));
    const marker = String(++this.#batchSeq);
    if (this.config.guarantee === 'effectively-once') outputs.push({ topic: 'state', key: this.#markerKey, payload: Buffer.from(marker) });
    let committed = true;
    const commitFrom = this.#clock.monotonic();
    this.#stages.add('decide', commitFrom - t0);
    let outcome: 'committed' | 'aborted' | 'unknown-committed' | 'unknown-aborted' = 'committed';
    trace.beginCommit(batch.length, outputs.length);
    // Linked now, in publish order; the chain moves on only if the batch commits (an aborted
    // transaction leaves no audit record, so no gap either).
    outputs = this.#chainAudit(outputs);
    try {
      await this.#io.commit(outputs, batch);
    } catch (err) {
      this.#m.commitFailed();
      committed = await this.#afterFailedCommit(err, batch, marker);
      outcome = commitOutcomeOf(err) === 'aborted' ? 'aborted' : committed ? 'unknown-committed' : 'unknown-aborted';
    }
    if (committed) this.#auditChain.commit();
    else this.#auditChain.discard();
    this.#stages.add('commit', this.#clock.monotonic() - commitFrom);
    trace.endCommit(outcome);
    if (!committed) {
      // Hand back exactly this batch's inputs; newer inputs wait until they are back (#run).
      this.#gate.handedBack(batch);
      this.#io.release(batch);
      return this.#clock.monotonic();
    }
    this.#engine.checkpoint();
    this.#gate.committed(batch);
    this.#processed += batch.length;
    const now = this.#clock.now();
    this.#m.committed(batch.length, outputs, (this.#clock.monotonic() - t0) / 1000, trace.batchExemplar());
    for (const d of decided) this.#m.endToEnd((now - d.eventTimeMs) / 1000, trace.exemplar(d.index));
    this.#m.settled(batch, decided.length, now, (i) => trace.exemplar(i));
    return 0;
  }

  /** The batch's outputs with chain properties on its `audit` records (staged on the chain). */
  #chainAudit(outputs: OutputMessage[]): OutputMessage[] {
    const audit = outputs.filter((o) => o.topic === 'audit');
    if (audit.length === 0) return outputs;
    const links = this.#auditChain.stage(audit);
    let i = 0;
    return outputs.map((o) => (o.topic === 'audit' ? { ...o, properties: { ...o.properties, ...links[i++] } } : o));
  }

  /**
   * After io.commit() rejected: put in-memory state back to what is committed and say whether
   * the batch committed after all (see the outcomes at the top of this file).
   */
  async #afterFailedCommit(err: unknown, batch: readonly InputMessage[], marker: string): Promise<boolean> {
    if (commitOutcomeOf(err) === 'aborted') {
      this.#log.error({ err, records: batch.length }, 'commit aborted; batch handed back for redelivery');
      await this.#rollback();
      return false;
    }
    this.#log.warn({ err, records: batch.length }, 'commit outcome unknown; resolving it from the state topic');
    const snapshot = await this.#restoreRetrying();
    const committed = snapshot.markers.get(this.#markerKey.slice(MARKER_KEY_PREFIX.length)) === marker;
    this.#log.warn({ committed, records: batch.length }, 'commit outcome resolved from the state topic');
    return committed;
  }

  /**
   * One pass over the batch; returns the first handler failure, if any. Without windows, records
   * of different keys run concurrently (records of one key stay in order): a handler awaiting
   * `ctx.score` then shares the micro-batcher with the rest of the batch instead of scoring one
   * row at a time. Window operators share one watermark, so windowed handlers run in order.
   * Outputs are assembled in input order either way.
   */
  async #pass(
    batch: readonly InputMessage[],
    poisoned: ReadonlyMap<number, DeadLetterRecord>,
    outputs: OutputMessage[],
    decided: Array<{ eventTimeMs: number; index: number }>,
    trace: BatchTrace,
  ): Promise<{ index: number; error: unknown } | undefined> {
    const now = this.#clock.now();
    for (let i = 0; i < batch.length; i++) trace.beginProcess(i);
    const decoded = await Promise.all(
      batch.map((m, i) => (poisoned.has(i) ? undefined : trace.decode(i, () => this.#ingress.decode(m, now)))),
    );
    const results: Array<{ encoded: OutputMessage[]; late: OutputMessage[]; eventTimeMs: number } | undefined> = new Array(batch.length);
    const runOne = async (i: number): Promise<void> => {
      const r = decoded[i];
      if (r === undefined || !r.ok) return;
      const step: EngineStep<T> = await trace.within(i, () => this.#engine.run(r.record, trace.traceIdOf(i)));
      // Encoding belongs to the record: a value its topic's schema refuses fails the record.
      const encoded = step.emitted.map((e) => this.#toOutput(e, trace.outputProperties(i, e.to)));
      const m = batch[i] as InputMessage;
      const late = step.late.map((l) =>
        withTrace(
          deadLetterOutput(
            this.#ingress.deadLetter(
              m,
              'late-event',
              new Error(lateEventReason(l.record.eventTimeMs, l.watermarkMs, l.reason)),
              this.#clock.now(),
            ),
          ),
          trace.outputProperties(i, 'dead-letter'),
        ),
      );
      results[i] = { encoded, late, eventTimeMs: r.record.eventTimeMs };
      trace.endProcess(i, undefined, step);
    };
    // A holder, so the lanes below can record the earliest failure across closures.
    const failed: { first?: { index: number; error: unknown } } = {};
    if (this.#engine.hasWindows) {
      for (let i = 0; i < batch.length; i++) {
        try {
          await runOne(i);
        } catch (error) {
          return { index: i, error };
        }
      }
    } else {
      const lanes = new Map<string, number[]>();
      batch.forEach((m, i) => {
        const lane = m.key ?? `\u0000${i}`;
        const list = lanes.get(lane) ?? [];
        list.push(i);
        lanes.set(lane, list);
      });
      await Promise.all(
        [...lanes.values()].map(async (indexes) => {
          for (const i of indexes) {
            if (failed.first !== undefined) return;
            try {
              await runOne(i);
            } catch (error) {
              // Another lane may have failed while this one awaited: keep the earliest record.
              const earlier = failed.first as { index: number } | undefined;
              if (earlier === undefined || i < earlier.index) failed.first = { index: i, error };
              return;
            }
          }
        }),
      );
      if (failed.first !== undefined) return failed.first;
    }
    for (let i = 0; i < batch.length; i++) {
      const dead = poisoned.get(i);
      if (dead !== undefined) {
        trace.endProcess(i, `dead-lettered: ${dead.reason}`);
        outputs.push(withTrace(deadLetterOutput(dead), trace.outputProperties(i, 'dead-letter')));
        continue;
      }
      const r = decoded[i];
      if (r !== undefined && !r.ok) {
        trace.endProcess(i, `dead-lettered: ${r.deadLetter.reason}`);
        outputs.push(withTrace(deadLetterOutput(r.deadLetter), trace.outputProperties(i, 'dead-letter')));
        continue;
      }
      const res = results[i];
      if (res === undefined) continue;
      decided.push({ eventTimeMs: res.eventTimeMs, index: i });
      outputs.push(...res.encoded, ...res.late);
    }
    trace.endAllProcess();
    return undefined;
  }
}

/** A dead letter carrying its record's trace context on (#22). */
function withTrace(o: OutputMessage, trace: Record<string, string>): OutputMessage {
  return Object.keys(trace).length === 0 ? o : { ...o, properties: { ...o.properties, ...trace } };
}

/**
 * `beamline actions`: applies the side effects the worker decided (the `actions` topic) to
 * sinks, apart from scoring: the worker only writes actions, so a slow or failing sink never
 * stalls decisions. Each action is acked once every sink applied it (or refused it for good);
 * an action a sink could not take (breaker open, attempts used up) is handed back and comes
 * again after `redeliveryDelayMs`, and sinks skip keys they already applied.
 *
 * A message is never handled twice at once. Pulsar redelivers whole batch entries: nacking one
 * action of a batch brings back its neighbours too, even one still being handled here. Such a copy
 * is dropped (`stats.overlapping`): the handling in flight acks or nacks that message id, which
 * settles the copy as well. Delivery to sinks is at least once per idempotency key (see
 * WebhookSink for the contract a receiver must meet).
 *
 * #22: each action continues its record's trace (the `traceparent` the worker put on it): a
 * `<actions> process` consumer span, with each sink's HTTP attempts below it.
 */
import { systemClock, type Clock, type Logger, type Metrics } from '../functions/index.ts';
import {
  noopMetrics,
  noopTracer,
  silentLogger,
  traceContextOf,
  type Consumer,
  type Message,
  type PulsarClient,
  type Tracer,
} from '../functions/control-plane.ts';
import { WebhookSink, type FetchFn, type SinkOutcome, type SinkStats, type WebhookSinkOptions } from './webhook-sink.ts';
import { SINKS_ERROR_CODES } from './errors.ts';

export interface ActionConsumerOptions {
  client: PulsarClient;
  tenant: string;
  namespace: string;
  sinks: readonly WebhookSinkOptions[];
  /** Shared subscription of every `beamline actions` replica. @default 'beamline-actions' */
  subscription?: string;
  /** Actions in flight at once. @default 32 */
  concurrency?: number;
  /** When an action comes back after a sink deferred it. @default 5000 */
  redeliveryDelayMs?: number;
  fetch?: FetchFn;
  clock?: Clock;
  log?: Logger;
  metrics?: Metrics;
  /** #22: spans continuing each action's trace. @default noopTracer() */
  tracer?: Tracer;
}

export type ActionConsumerState = 'created' | 'running' | 'draining' | 'closed';

export interface ActionStats {
  received: number;
  acked: number;
  redelivered: number;
  invalid: number;
  /** Deliveries dropped because the same message was still being handled (a batch neighbour's nack redelivers the whole entry). */
  overlapping: number;
  sinks: Record<string, SinkStats & { breaker: string }>;
}

export class ActionConsumer {
  readonly #consumer: Consumer;
  readonly #sinks: readonly WebhookSink[];
  readonly #log: Logger;
  readonly #concurrency: number;
  readonly #tracer: Tracer;
  readonly #topic: string;
  readonly #subscription: string;
  readonly #inflight = new Set<Promise<void>>();
  /** Message ids being handled now. */
  readonly #handling = new Set<string>();
  #state: ActionConsumerState = 'created';
  #loop: Promise<void> | undefined;
  #received = 0;
  #acked = 0;
  #redelivered = 0;
  #invalid = 0;
  #overlapping = 0;

  private constructor(consumer: Consumer, sinks: readonly WebhookSink[], o: ActionConsumerOptions) {
    this.#consumer = consumer;
    this.#sinks = sinks;
    this.#log = (o.log ?? silentLogger).child({ component: 'action-consumer', tenant: o.tenant, namespace: o.namespace });
    this.#concurrency = o.concurrency ?? 32;
    this.#tracer = o.tracer ?? noopTracer();
    this.#topic = actionsTopic(o);
    this.#subscription = o.subscription ?? 'beamline-actions';
  }

  /** Validates the sinks, then subscribes to the namespace's `actions` topic. */
  static async create(o: ActionConsumerOptions): Promise<ActionConsumer> {
    const deps = {
      clock: o.clock ?? systemClock,
      log: o.log ?? silentLogger,
      metrics: o.metrics ?? noopMetrics(),
      ...(o.tracer === undefined ? {} : { tracer: o.tracer }),
      ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
    };
    const sinks = o.sinks.map((s) => new WebhookSink(s, deps));
    try {
      const consumer = await o.client.subscribe({
        topic: actionsTopic(o),
        subscription: o.subscription ?? 'beamline-actions',
        subscriptionType: 'Shared',
        initialPosition: 'Earliest',
        negativeAckRedeliveryDelayMs: o.redeliveryDelayMs ?? 5000,
      });
      return new ActionConsumer(consumer, sinks, o);
    } catch (err) {
      for (const s of sinks) s.close();
      throw err;
    }
  }

  get state(): ActionConsumerState {
    return this.#state;
  }

  get stats(): ActionStats {
    const sinks: ActionStats['sinks'] = {};
    for (const s of this.#sinks) sinks[s.config.name] = { ...s.stats, breaker: s.breakerState };
    return {
      received: this.#received,
      acked: this.#acked,
      redelivered: this.#redelivered,
      invalid: this.#invalid,
      overlapping: this.#overlapping,
      sinks,
    };
  }

  /** Idempotent. */
  start(): void {
    if (this.#state !== 'created') return;
    this.#state = 'running';
    this.#loop = this.#run();
  }

  /** Stops taking actions, lets those in flight finish, then closes. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'draining') {
      await this.#loop;
      return;
    }
    this.#state = 'draining';
    await this.#loop;
    await Promise.allSettled(this.#inflight);
    for (const s of this.#sinks) s.close();
    await this.#consumer.close();
    this.#state = 'closed';
    this.#log.info(this.stats, 'action consumer closed');
  }

  async #run(): Promise<void> {
    while (this.#state === 'running') {
      if (this.#inflight.size >= this.#concurrency) {
        await Promise.race(this.#inflight);
        continue;
      }
      let m: Message;
      try {
        m = await this.#consumer.receive(250);
      } catch (err) {
        if ((err as { code?: string }).code === SINKS_ERROR_CODES.pulsarTimeout) continue;
        if (this.#state !== 'running') return;
        this.#log.error({ err }, 'receive failed');
        continue;
      }
      this.#received++;
      const id = m.id.toString();
      if (this.#handling.has(id)) {
        this.#overlapping++;
        this.#log.debug({ messageId: id }, 'action redelivered while still being handled; copy dropped');
        continue;
      }
      this.#handling.add(id);
      const p = this.#handle(m).finally(() => {
        this.#handling.delete(id);
        this.#inflight.delete(p);
      });
      this.#inflight.add(p);
    }
  }

  async #handle(m: Message): Promise<void> {
    let action: Record<string, unknown>;
    try {
      action = JSON.parse(m.payload.toString('utf8')) as Record<string, unknown>;
      if (action === null || typeof action !== 'object') throw new Error('not an object');
    } catch {
      this.#invalid++;
      this.#log.warn({ messageId: m.id.toString() }, 'action is not JSON; skipped');
      this.#ack(m);
      return;
    }
    const type = typeof action['action'] === 'string' ? action['action'] : 'unknown';
    const key = typeof action['idempotencyKey'] === 'string' ? action['idempotencyKey'] : `${m.id.toString()}:${type}`;
    const span = this.#tracer.startSpan(`${this.#topic} process`, {
      kind: 'consumer',
      parent: traceContextOf(m.properties),
      attributes: {
        'messaging.system': 'pulsar',
        'messaging.destination.name': this.#topic,
        'messaging.destination.subscription.name': this.#subscription,
        'messaging.operation.type': 'process',
        'messaging.message.id': m.id.toString(),
        'beamline.action': type,
      },
    });
    let outcomes: SinkOutcome[];
    try {
      outcomes = await Promise.all(this.#sinks.filter((s) => s.handles(type)).map((s) => s.apply(action, key, span.context)));
    } catch (err) {
      span.setError('sink failed');
      span.end();
      throw err;
    }
    const deferred = outcomes.includes('deferred');
    span.setAttribute('beamline.action.outcome', deferred ? 'deferred' : 'settled');
    span.end();
    if (deferred) {
      this.#redelivered++;
      this.#consumer.nack(m);
      return;
    }
    this.#ack(m);
  }

  #ack(m: Message): void {
    this.#acked++;
    void Promise.resolve(this.#consumer.ack(m)).catch((err: unknown) =>
      this.#log.warn({ err }, 'ack failed; the action may come again (sinks skip applied keys)'),
    );
  }
}

function actionsTopic(o: { tenant: string; namespace: string }): string {
  return `persistent://${o.tenant}/${o.namespace}/actions`;
}

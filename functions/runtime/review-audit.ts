/**
 * #21: the audit records of analysts' review outcomes, written by the worker, not by analysts.
 *
 * Why: an auditor must be able to trust who wrote the audit trail. Analysts write outcomes to
 * `review` only (and labels); the `audit` topic takes records from workers and the control
 * plane alone (the tenant's grants). The worker already reads `review` (queue depth); here it
 * also subscribes to it (Failover: one replica of the namespace audits at a time) and, for each
 * outcome, writes the `review-decided` audit record and acknowledges the outcome in one
 * transaction, so every outcome is audited exactly once, across crashes and replicas.
 *
 * The record's actor is the namespace's analyst role (`beamline.role.analyst`): only that role
 * (and the worker's) may produce to `review`, so the broker has authenticated it. The name the
 * analyst's tool put in the outcome (`decidedBy`, the token's subject for `beamline review`) is
 * kept in the detail. Without the property (a namespace not made by `tenant apply`) the actor is
 * that claimed name.
 */
import type { Clock } from '../clock.ts';
import { BeamlineError } from '../errors.ts';
import { AuditChainWriter, type AuditSeal } from '../governance/index.ts';
import { PULSAR_ERROR_CODES, type Consumer, type Message, type PulsarClient } from '../pulsar/index.ts';
import type { Logger } from '../telemetry.ts';
import { auditEntry, openTopicWriter, type TopicWriter } from './model-registry/index.ts';
import { decodeReviewPayload, isReviewOutcome } from './review-depth.ts';

/** The namespace property naming its analyst role (written by `tenant apply`: propertyKeys.role). */
export const ANALYST_ROLE_PROPERTY = 'beamline.role.analyst';

/** The subscription the auditing worker holds on `review`. */
export const REVIEW_AUDIT_SUBSCRIPTION = 'beamline-review-audit';

export type ReviewAuditorState = 'idle' | 'running' | 'closed';

export interface ReviewAuditorOptions {
  client: Pick<PulsarClient, 'subscribe' | 'newTransaction' | 'createProducer' | 'getSchema'>;
  reviewTopic: string;
  auditTopic: string;
  /** The namespace's analyst role, the authenticated writer of outcomes. */
  analystRole: string | undefined;
  seal: AuditSeal;
  clock: Clock;
  log: Logger;
  /** Wait before reopening after an error (a namespace whose grants predate this). @default 30000 */
  retryMs?: number;
}

export class ReviewAuditor {
  readonly #o: ReviewAuditorOptions;
  readonly #chain: AuditChainWriter;
  readonly #stop = new AbortController();
  #state: ReviewAuditorState = 'idle';
  #consumer: Consumer | undefined;
  #writer: TopicWriter | undefined;
  #loop: Promise<void> | undefined;
  #audited = 0;

  constructor(options: ReviewAuditorOptions) {
    this.#o = options;
    this.#chain = new AuditChainWriter({ seal: options.seal, role: 'review' });
  }

  get state(): ReviewAuditorState {
    return this.#state;
  }

  /** Outcomes audited by this process. */
  get audited(): number {
    return this.#audited;
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    this.#loop = this.#run();
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const wasRunning = this.#state === 'running';
    this.#state = 'closed';
    this.#stop.abort();
    await this.#consumer?.close().catch(() => undefined);
    if (wasRunning) await this.#loop;
    await this.#writer?.producer.close().catch(() => undefined);
  }

  async #run(): Promise<void> {
    let warned = false;
    while (!this.#stop.signal.aborted) {
      try {
        this.#writer ??= await openTopicWriter(this.#o.client, this.#o.auditTopic);
        this.#consumer = await this.#o.client.subscribe({
          topic: this.#o.reviewTopic,
          subscription: REVIEW_AUDIT_SUBSCRIPTION,
          subscriptionType: 'Failover',
          initialPosition: 'Earliest',
        });
        if (warned) this.#o.log.info({ topic: this.#o.reviewTopic }, 'review audit: reading review outcomes again');
        warned = false;
        while (!this.#stop.signal.aborted) {
          let m: Message;
          try {
            m = await this.#consumer.receive(1000);
          } catch (err) {
            if (err instanceof BeamlineError && err.code === PULSAR_ERROR_CODES.timeout) continue;
            throw err;
          }
          await this.#handle(this.#consumer, this.#writer, m);
        }
      } catch (err) {
        if (this.#stop.signal.aborted) break;
        if (!warned) this.#o.log.warn({ err, topic: this.#o.reviewTopic }, 'review audit: cannot audit review outcomes; retrying');
        warned = true;
      }
      await this.#consumer?.close().catch(() => undefined);
      this.#consumer = undefined;
      await this.#o.clock.sleep(this.#o.retryMs ?? 30_000, this.#stop.signal).catch(() => undefined);
    }
  }

  async #handle(consumer: Consumer, writer: TopicWriter, m: Message): Promise<void> {
    const v = decodeReviewPayload(m.payload);
    // Items (the worker's own) and anything else: nothing to audit.
    if (v === undefined || !isReviewOutcome(v)) {
      consumer.ack(m);
      return;
    }
    const claimed = typeof v['decidedBy'] === 'string' ? v['decidedBy'] : 'unknown';
    const actor = this.#o.analystRole ?? claimed;
    const at = typeof v['decidedAtMs'] === 'number' ? v['decidedAtMs'] : m.publishTimeMs;
    const payload = writer.encode(
      auditEntry(at, actor, 'review-decided', String(v.eventId), {
        ...v,
        type: 'review-decided',
        actor,
        decidedBy: claimed,
        atMs: at,
        reviewMessageId: m.id.toString(),
      }),
    );
    const key = m.key ?? String(v.eventId);
    const [link] = this.#chain.stage([{ key, payload }]);
    const txn = await this.#o.client.newTransaction({ timeoutMs: 60_000 });
    try {
      // The outcome's trace context goes on with its audit record (#22).
      const trace = Object.fromEntries(Object.entries(m.properties).filter(([k]) => k === 'traceparent' || k === 'tracestate'));
      await Promise.all([
        writer.producer.send({ key, payload, eventTimeMs: at, properties: { ...trace, ...link } }, { txn }),
        consumer.ack(m, { txn }),
      ]);
      await txn.commit();
    } catch (err) {
      this.#chain.discard();
      await txn.abort().catch(() => undefined);
      // Redelivered, and audited then: the message stays unacknowledged.
      consumer.nack(m);
      throw err;
    }
    this.#chain.commit();
    this.#audited++;
  }
}

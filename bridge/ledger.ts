/**
 * The Pub/Sub sink's ledger (#24): a subscription of the sink's own on the destination topic, so
 * the sink can read back what it published, as the source reads back Pulsar. Every publish
 * reaches it (a Pub/Sub subscription receives every message published after it exists); the
 * sink acks a copy only once the Pulsar ack of the message it came from is confirmed, so the
 * copies left unacked name exactly the publishes whose Pulsar ack may be lost.
 *
 * Unary Pull and Acknowledge, not streaming pull: the sink holds a copy only until a Pulsar ack
 * receipt (milliseconds), takes up to 1000 per call, and a batch pull is not throttled per stream
 * as pstest's streaming pull is (about one message per 10 ms).
 */
import type { PubSub } from '@google-cloud/pubsub';
import { BRIDGE_ERROR_CODES, BridgeError } from './errors.ts';
import type { PubsubName } from './names.ts';

/** The ack deadline of a ledger the sink creates: Pub/Sub's minimum, so a restart waits least. */
export const LEDGER_ACK_DEADLINE_SECONDS = 10;
const GRPC_ALREADY_EXISTS = 6;
const GRPC_DEADLINE_EXCEEDED = 4;
/** Each Pull or Acknowledge call; a long pull that finds nothing ends by then (the sink's close waits on one). */
const REQUEST_TIMEOUT_MS = 10_000;

/** One copy pulled from the ledger. */
export interface LedgerCopy {
  readonly ackId: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** What the sink needs of its ledger (an interface so unit tests give a fake). */
export interface SinkLedger {
  /** projects/P/subscriptions/S */
  readonly path: string;
  /**
   * Creates the subscription on `topic` if missing (no ordering, no filter, ack deadline
   * LEDGER_ACK_DEADLINE_SECONDS); fails when one of that name exists on another topic or filters.
   * Returns its ack deadline: how long a killed predecessor's pulled copies stay invisible.
   */
  open(): Promise<{ ackDeadlineMs: number; created: boolean }>;
  /** Up to `max` copies; with `wait` the server may wait a bounded time for one. [] when none. */
  pull(max: number, wait: boolean): Promise<LedgerCopy[]>;
  ack(ackIds: readonly string[]): Promise<void>;
}

type Callback<T> = (err: unknown, res?: T | null) => void;

interface PullResponse {
  receivedMessages?: { ackId?: string | null; message?: { attributes?: Record<string, string> | null } | null }[] | null;
}

export class PubsubLedger implements SinkLedger {
  readonly path: string;
  readonly #pubsub: PubSub;
  readonly #name: PubsubName;
  readonly #topic: string;

  constructor(pubsub: PubSub, name: PubsubName, topic: string) {
    this.#pubsub = pubsub;
    this.#name = name;
    this.#topic = topic;
    this.path = name.path;
  }

  async open(): Promise<{ ackDeadlineMs: number; created: boolean }> {
    const sub = this.#pubsub.subscription(this.path);
    let created = false;
    const [exists] = await sub.exists();
    if (!exists) {
      try {
        await this.#pubsub.topic(this.#topic).createSubscription(this.#name.name, { ackDeadlineSeconds: LEDGER_ACK_DEADLINE_SECONDS });
        created = true;
      } catch (err) {
        // Another sink process created it meanwhile: check it like an existing one.
        if ((err as { code?: unknown }).code !== GRPC_ALREADY_EXISTS) throw err;
      }
    }
    const [meta] = await sub.getMetadata();
    if (meta.topic !== this.#topic) {
      throw new BridgeError(
        BRIDGE_ERROR_CODES.ledgerInvalid,
        `ledger subscription ${this.path} belongs to ${String(meta.topic)}, not ${this.#topic}; name another with --ledger-subscription`,
        { details: { ledger: this.path, topic: meta.topic } },
      );
    }
    if (typeof meta.filter === 'string' && meta.filter !== '') {
      throw new BridgeError(
        BRIDGE_ERROR_CODES.ledgerInvalid,
        `ledger subscription ${this.path} has a filter (${meta.filter}), so it would miss publishes; delete it (the sink creates it again) or name another with --ledger-subscription`,
        { details: { ledger: this.path, filter: meta.filter } },
      );
    }
    const seconds = Number(meta.ackDeadlineSeconds ?? LEDGER_ACK_DEADLINE_SECONDS);
    return { ackDeadlineMs: (Number.isFinite(seconds) && seconds > 0 ? seconds : LEDGER_ACK_DEADLINE_SECONDS) * 1000, created };
  }

  async pull(max: number, wait: boolean): Promise<LedgerCopy[]> {
    let res: PullResponse | null | undefined;
    try {
      res = await this.#request<PullResponse>('pull', { subscription: this.path, maxMessages: max, returnImmediately: !wait });
    } catch (err) {
      // A long pull that found nothing may end in DEADLINE_EXCEEDED: that is "none".
      if ((err as { code?: unknown }).code === GRPC_DEADLINE_EXCEEDED) return [];
      throw err;
    }
    const out: LedgerCopy[] = [];
    for (const r of res?.receivedMessages ?? []) {
      if (typeof r.ackId === 'string') out.push({ ackId: r.ackId, attributes: r.message?.attributes ?? {} });
    }
    return out;
  }

  async ack(ackIds: readonly string[]): Promise<void> {
    for (let i = 0; i < ackIds.length; i += 1000) {
      await this.#request('acknowledge', { subscription: this.path, ackIds: ackIds.slice(i, i + 1000) });
    }
  }

  #request<T>(method: string, reqOpts: object): Promise<T | null | undefined> {
    return new Promise((resolve, reject) => {
      const cb: Callback<T> = (err, res) => (err ? reject(err) : resolve(res));
      this.#pubsub.request<T>({ client: 'SubscriberClient', method, reqOpts, gaxOpts: { timeout: REQUEST_TIMEOUT_MS } }, cb as never);
    });
  }
}

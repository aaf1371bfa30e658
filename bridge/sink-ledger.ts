/**
 * The sink's side of its ledger (#24): which idempotency keys are already in Pub/Sub, and the
 * rule that keeps the ledger honest. Every ledger copy proves "this Pulsar message is in Pub/Sub",
 * so for each copy the keeper remembers the key, acks that Pulsar message with a receipt (acking
 * a message that is in Pub/Sub is always right, whoever published it and whether or not Pulsar
 * would redeliver it), and acks the copy only once the broker confirmed. A copy left unacked
 * therefore names a publish whose Pulsar ack may be lost; one acked names a message Pulsar will
 * not deliver again (short of a broker losing acks it had confirmed).
 *
 * At start (`recover`) the keeper reads back every unacked copy before the sink publishes. The
 * condition for "everything is back": copies a killed predecessor had pulled but not acked are
 * invisible until their ack deadline passes (a dead process extends no lease), so the read-back
 * goes on until the ledger's ack deadline has passed since the start AND two pulls in a row (each
 * letting the server wait for a message) found nothing; past ledgerRecoveryTimeoutMs the start
 * fails, retriable. A publish Pub/Sub accepted is stored for every subscription before the
 * publish returns, so there is no "still landing" beyond that.
 *
 * While running (`run`) it keeps doing the same for the copies of the sink's own publishes. A
 * copy whose Pulsar ack fails is not acked: Pub/Sub delivers it again after its ack deadline.
 */
import { type Clock, type CounterMetric, type Logger, type Metrics } from '../functions/index.ts';
import { MessageId, noopMetrics, type Consumer } from '../functions/control-plane.ts';
import { IDEMPOTENCY_KEY_ATTRIBUTE } from './dedupe.ts';
import { PULSAR_ID_BYTES_ATTRIBUTE, PULSAR_TOPIC_ATTRIBUTE } from './attributes.ts';
import { BRIDGE_ERROR_CODES, BridgeError } from './errors.ts';
import type { LedgerCopy, SinkLedger } from './ledger.ts';
import type { NamespaceTopic } from './names.ts';
import { RecentIds } from './recent-ids.ts';

/** Copies per pull (Pub/Sub's Pull maximum is 1000). */
const PULL_MAX = 1000;
/** Pulls in a row that must find nothing once the predecessor's leases expired. */
const EMPTY_PULLS = 2;
/** Added to the ack deadline: the server's clock and ours are not the same clock. */
const LEASE_MARGIN_MS = 1000;
/** The least time between two pulls that found nothing (a server that answers at once). */
const IDLE_PULL_MS = 200;

export interface SinkLedgerKeeperOptions {
  ledger: SinkLedger;
  from: NamespaceTopic;
  maxIds: number;
  recoveryTimeoutMs: number;
  retryMs: number;
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
}

export interface SinkLedgerStats {
  /** Copies of this sink's messages found unacked at start (their Pulsar messages then acked). */
  recoveredIds: number;
  /** Copies acked after their Pulsar ack was confirmed (start and running). */
  settled: number;
}

export class SinkLedgerKeeper {
  readonly #o: SinkLedgerKeeperOptions;
  readonly #ids: RecentIds;
  readonly #settledCounter: CounterMetric;
  readonly #stats: SinkLedgerStats = { recoveredIds: 0, settled: 0 };

  constructor(o: SinkLedgerKeeperOptions) {
    this.#o = o;
    this.#ids = new RecentIds(o.maxIds);
    this.#settledCounter = (o.metrics ?? noopMetrics()).counter(
      'beamline_bridge_sink_ledger_settled_total',
      'ledger copies acked after the Pulsar ack of their message was confirmed',
    );
  }

  get path(): string {
    return this.#o.ledger.path;
  }

  get stats(): SinkLedgerStats {
    return { ...this.#stats };
  }

  /** Is this idempotency key known to be in Pub/Sub (this run's publish or a ledger copy)? */
  has(key: string): boolean {
    return this.#ids.has(key);
  }

  /** Pub/Sub accepted this key's publish. */
  published(key: string): void {
    this.#ids.add(key);
  }

  /**
   * Reads back every unacked copy and settles it (see the top of this file); resolves with how
   * many were this sink's. The caller subscribes `consumer` first and publishes only after.
   */
  async recover(consumer: Consumer): Promise<number> {
    const { ledger, clock, recoveryTimeoutMs } = this.#o;
    const started = clock.now();
    const deadline = started + recoveryTimeoutMs;
    const fail = (why: string, cause?: unknown): BridgeError =>
      new BridgeError(BRIDGE_ERROR_CODES.ledgerRecoveryFailed, `could not read back the ledger ${ledger.path}: ${why}`, {
        retriable: true,
        ...(cause === undefined ? {} : { cause }),
        details: { ledger: ledger.path, ledgerRecoveryTimeoutMs: recoveryTimeoutMs },
      });
    let ackDeadlineMs: number;
    try {
      ({ ackDeadlineMs } = await ledger.open());
    } catch (err) {
      if (err instanceof BridgeError) throw err;
      throw fail('opening it failed', err);
    }
    const leasesEnd = started + ackDeadlineMs + LEASE_MARGIN_MS;
    if (leasesEnd >= deadline)
      throw fail(
        `its ack deadline (${ackDeadlineMs} ms) does not leave time within ledgerRecoveryTimeoutMs ${recoveryTimeoutMs}; raise it or lower the subscription's ack deadline`,
      );
    let empty = 0;
    for (;;) {
      if (clock.now() > deadline)
        throw fail(`not done within ledgerRecoveryTimeoutMs ${recoveryTimeoutMs}; restart (it resumes) or raise it`);
      const at = clock.now();
      let copies: LedgerCopy[];
      try {
        copies = await ledger.pull(PULL_MAX, true);
      } catch (err) {
        throw fail('pull failed', err);
      }
      if (copies.length === 0) {
        if (clock.now() >= leasesEnd && ++empty >= EMPTY_PULLS) break;
        if (clock.now() - at < IDLE_PULL_MS) await clock.sleep(IDLE_PULL_MS);
        continue;
      }
      empty = 0;
      let r: { ours: number; failed: number; error: unknown };
      try {
        r = await this.#settle(copies, consumer);
      } catch (err) {
        throw fail('acking copies failed', err);
      }
      this.#stats.recoveredIds += r.ours;
      // A copy whose Pulsar message could not be acked must not stay behind unnoticed.
      if (r.failed > 0) throw fail(`${r.failed} Pulsar acks were not confirmed`, r.error);
    }
    return this.#stats.recoveredIds;
  }

  /** Settles the copies of the sink's publishes while `running()`; `consumer()` is the current one. */
  async run(consumer: () => Consumer | undefined, running: () => boolean): Promise<void> {
    const { ledger, clock, log, retryMs } = this.#o;
    while (running()) {
      const at = clock.now();
      let copies: LedgerCopy[];
      try {
        copies = await ledger.pull(PULL_MAX, true);
      } catch (err) {
        if (!running()) return;
        log.warn({ err }, 'ledger pull failed; retrying');
        await clock.sleep(retryMs);
        continue;
      }
      if (copies.length === 0) {
        if (clock.now() - at < IDLE_PULL_MS) await clock.sleep(IDLE_PULL_MS);
        continue;
      }
      const c = consumer();
      // No consumer (a rewind is resubscribing): the copies come back after their ack deadline.
      if (c === undefined) continue;
      try {
        const r = await this.#settle(copies, c);
        if (r.failed > 0) log.warn({ failed: r.failed, err: r.error }, 'pulsar acks of ledger copies not confirmed; they come back');
      } catch (err) {
        log.warn({ err }, 'ledger ack failed; the copies come back');
      }
    }
  }

  /** Remembers each copy's key, acks its Pulsar message with a receipt, then acks the copies. */
  async #settle(copies: readonly LedgerCopy[], consumer: Consumer): Promise<{ ours: number; failed: number; error: unknown }> {
    const done: string[] = [];
    let ours = 0;
    let failed = 0;
    let error: unknown;
    const acks: Promise<void>[] = [];
    for (const copy of copies) {
      const target = this.#target(copy);
      if (target === undefined) {
        done.push(copy.ackId); // not from this sink's topic: nothing to settle
        continue;
      }
      this.#ids.add(target.key);
      if (target.id === undefined) {
        // No id bytes (a sink before #24's ledger): remembered, but its Pulsar message cannot be
        // acked exactly, so a later restart may publish it again.
        done.push(copy.ackId);
        continue;
      }
      acks.push(
        consumer.ack(target.id, { receipt: true }).then(
          () => {
            ours++;
            done.push(copy.ackId);
          },
          (err: unknown) => {
            failed++;
            error = err;
          },
        ),
      );
    }
    await Promise.all(acks);
    if (done.length > 0) await this.#o.ledger.ack(done);
    this.#stats.settled += ours;
    if (ours > 0) this.#settledCounter.inc({}, ours);
    return { ours, failed, error };
  }

  #target(copy: LedgerCopy): { key: string; id: MessageId | undefined } | undefined {
    const from = this.#o.from.fullName;
    const topic = copy.attributes[PULSAR_TOPIC_ATTRIBUTE];
    const key = copy.attributes[IDEMPOTENCY_KEY_ATTRIBUTE];
    if (topic === undefined || key === undefined || key === '') return undefined;
    if (topic !== from && !topic.startsWith(`${from}-partition-`)) return undefined;
    const bytes = copy.attributes[PULSAR_ID_BYTES_ATTRIBUTE];
    if (bytes === undefined) return { key, id: undefined };
    try {
      return { key, id: MessageId.fromBytes(Buffer.from(bytes, 'base64')) };
    } catch {
      return { key, id: undefined };
    }
  }
}

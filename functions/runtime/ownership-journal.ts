/**
 * The ownership journal of one input partition (#17): partition p of the namespace's `owners`
 * topic, written outside transactions by whichever replica owns p, through a producer in
 * ExclusiveWithFencing mode.
 *
 * Why: a new owner must not decide a record of p while a transaction of the previous owner can
 * still commit on p (its pending acks hold inputs back from redelivery, its state records are
 * not yet readable). Before this journal, it waited until the coordinator had timed out every
 * such transaction (transactionTimeoutMs), so a crashed owner's partitions stood still for that
 * long. Now each owner records, before a transaction touches p, the ids of its transactions that
 * may still be open; the new owner ends exactly those and goes on.
 *
 * The invariant: the last record of any owner lists every transaction of that owner that may
 * still be open on p, because a transaction is recorded (send confirmed) before its first send
 * or ack, and an owner whose record is refused uses no transaction.
 *
 * The new owner's fence(), in order:
 * 1. Its producer opens in ExclusiveWithFencing mode: the broker closes every earlier owner's
 *    producer on p and refuses them from then on, so no earlier owner records, and therefore
 *    starts, a transaction on p any more.
 * 2. It writes a fence record and reads p back from (now - transactionTimeoutMs - clock skew
 *    margin; the broker's now, the writers' publish times) to that record: every record before
 *    it is persisted and read (the managed ledger confirms entries in order). Older records
 *    cannot name an open transaction: the coordinator ends every transaction after
 *    transactionTimeoutMs.
 * 3. It aborts every transaction named by each earlier owner's last record, waiting until the
 *    coordinator has finished each (aborted, or committed when the old owner's commit won, or no
 *    longer known). The coordinator answers only after its markers are written, so the state
 *    partition then reads what every committed batch left, and aborted acks are unacknowledged.
 *
 * A zombie (paused after its record was confirmed, still connected) may send an op of a
 * transaction after this abort. The broker ends such late operations itself: each END_TXN it
 * receives for p carries the coordinator's low watermark, and pending acks and buffered sends of
 * transactions below it are aborted (Pulsar's pending-ack and transaction-buffer low watermark
 * handling). The zombie test (worker-replicas.test.ts) checks the outcome end to end.
 *
 * A tenant applied before the `owners` topic existed has no journal (the broker refuses the
 * producer): fence() says 'unavailable' and the caller falls back to waiting out the
 * transaction timeout, warning with the fix (re-apply the tenant).
 */
import type { Clock } from '../clock.ts';
import { BeamlineError } from '../errors.ts';
import { PULSAR_ERROR_CODES, type Producer, type PulsarClient, type TxnId } from '../pulsar/index.ts';
import type { Logger } from '../telemetry.ts';
import { RUNTIME_ERROR_CODES } from './errors.ts';
import { namespaceTopic, type WorkerConfig } from './worker-options.ts';

/** Journal records of p are read back from this long before transactionTimeoutMs (replica clock skew). */
export const JOURNAL_SKEW_MARGIN_MS = 60_000;
/** The key every journal record carries (one record kind; readers key nothing by it). */
const RECORD_KEY = 'owner';

/** What fence() found and did. */
export type FenceResult =
  | {
      readonly mode: 'fenced';
      /** Journal records read back. */
      readonly scanned: number;
      /** Transactions this fence aborted (the rest had ended already, or committed). */
      readonly aborted: number;
      readonly committed: number;
    }
  | { readonly mode: 'unavailable'; readonly reason: string };

/** A journal record: its writer's ownership and that owner's transactions that may be open. */
interface JournalRecord {
  readonly v: 1;
  readonly owner: string;
  readonly open: readonly string[];
  readonly fence?: true;
}

export interface OwnershipJournalDeps {
  client: PulsarClient;
  log: Logger;
  clock: Clock;
  /** This replica's part of the producer name (unique per replica). */
  replicaId: string;
}

/** One ownership of one partition: fence() once, then opened()/ended() around each transaction. */
export class OwnershipJournal {
  readonly #config: WorkerConfig;
  readonly #deps: OwnershipJournalDeps;
  readonly #log: Logger;
  readonly #topic: string;
  readonly #owner: string;
  readonly #open = new Set<string>();
  #producer: Producer | undefined;
  #unavailable = false;
  #revoked = false;
  #closed = false;

  constructor(config: WorkerConfig, deps: OwnershipJournalDeps, partition: number, owner: string) {
    this.#config = config;
    this.#deps = deps;
    this.#topic = `${namespaceTopic(config, 'owners')}-partition-${partition}`;
    this.#owner = owner;
    this.#log = deps.log.child({ component: 'ownership-journal', partition });
  }

  /** The new owner's side: fences earlier owners and ends their open transactions (see the top). */
  async fence(): Promise<FenceResult> {
    const { client, clock } = this.#deps;
    const t0 = clock.monotonic();
    // The reader opens while the producer fences: both take a round trip or two, and the reader
    // reads on to the fence record whenever that lands. The broker rewinds its cursor by time in
    // SUBSCRIBE itself: a SEEK by time made the broker drop and re-add the reader (measured: the
    // fence took 0.3 to 1.2 s, nearly all of it that reconnect).
    const opening = client.createReader({
      topic: this.#topic,
      startMessageId: 'earliest',
      startRollbackDurationMs: this.#config.transactionTimeoutMs + JOURNAL_SKEW_MARGIN_MS,
    });
    opening.catch(() => undefined);
    try {
      this.#producer = await client.createProducer({
        topic: this.#topic,
        name: `beamline-${this.#config.subscription}-owners-${this.#deps.replicaId}-${globalThis.crypto.randomUUID().slice(0, 8)}`,
        accessMode: 'ExclusiveWithFencing',
        batching: false,
        compression: 'none',
      });
    } catch (err) {
      void opening.then((r) => r.close()).catch(() => undefined);
      const code = (err as { code?: string }).code;
      if (
        code === PULSAR_ERROR_CODES.authorization ||
        code === PULSAR_ERROR_CODES.topicNotFound ||
        code === PULSAR_ERROR_CODES.notAllowed
      ) {
        this.#unavailable = true;
        return { mode: 'unavailable', reason: String((err as Error).message) };
      }
      throw err;
    }
    const producedMs = clock.monotonic() - t0;
    const marker = await this.#producer.send({ key: RECORD_KEY, payload: encode({ v: 1, owner: this.#owner, open: [], fence: true }) });
    const reader = await opening;
    const openedMs = clock.monotonic() - t0;
    const lastByOwner = new Map<string, readonly string[]>();
    let scanned = 0;
    try {
      for (;;) {
        const m = await reader.readNext(this.#config.transactionTimeoutMs);
        scanned++;
        if (m.id.ledgerId === marker.ledgerId && m.id.entryId === marker.entryId) break;
        const r = decode(m.payload);
        if (r !== undefined && r.owner !== this.#owner) lastByOwner.set(r.owner, r.open);
      }
    } finally {
      await reader.close().catch(() => undefined);
    }
    const readMs = clock.monotonic() - t0;
    const ids = [...new Set([...lastByOwner.values()].flat())];
    const ends = await Promise.all(ids.map((id) => client.abortTransaction(parseTxnId(id), this.#config.transactionTimeoutMs)));
    const committed = ends.filter((e) => e === 'committed').length;
    const aborted = ends.filter((e) => e === 'aborted').length;
    // Step times: where a slow hand-over spends them (producer fenced, reader open, read back, ends).
    const steps = { producedMs, openedMs, readMs, endedMs: clock.monotonic() - t0 };
    this.#log.info({ txns: ids, aborted, committed, scanned, ...steps }, 'previous owners fenced; their transactions ended');
    return { mode: 'fenced', scanned, aborted, committed };
  }

  /**
   * Before a transaction of this ownership touches the partition: records it (with every other
   * transaction of this ownership that may be open). Rejects when a newer owner fenced this one;
   * the caller must then not use the transaction.
   */
  async opened(txn: { readonly id: TxnId }): Promise<void> {
    if (this.#unavailable) return;
    const producer = this.#producer;
    if (producer === undefined || this.#revoked) throw fencedError(this.#topic, undefined);
    const id = formatTxnId(txn.id);
    this.#open.add(id);
    try {
      await producer.send({ key: RECORD_KEY, payload: encode({ v: 1, owner: this.#owner, open: [...this.#open] }) });
    } catch (err) {
      this.#open.delete(id);
      throw fencedError(this.#topic, err);
    }
  }

  /** The transaction is committed or aborted: later records leave it out. */
  ended(txn: { readonly id: TxnId }): void {
    this.#open.delete(formatTxnId(txn.id));
  }

  /**
   * The partition was lost: record nothing more. A send on a producer the broker has just fenced
   * makes Pulsar 4.0.7 close the whole connection ("Received message, but the producer is not
   * ready"), dropping every consumer of this replica (measured: partitions moving back and forth
   * for seconds), so after a loss this journal stays silent.
   */
  revoke(): void {
    this.#revoked = true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#revoked = true;
    await this.#producer?.close().catch(() => undefined);
  }
}

function fencedError(topic: string, cause: unknown): BeamlineError {
  return new BeamlineError(
    RUNTIME_ERROR_CODES.partitionRevoked,
    'the partition has a newer owner (its ownership journal refused this one); the batch is abandoned',
    { retriable: true, cause, details: { topic } },
  );
}

export function formatTxnId(id: TxnId): string {
  return `${id.mostBits}:${id.leastBits}`;
}

function parseTxnId(s: string): TxnId {
  const [most, least] = s.split(':');
  return { mostBits: BigInt(most ?? '0'), leastBits: BigInt(least ?? '0') };
}

function encode(r: JournalRecord): Buffer {
  return Buffer.from(JSON.stringify(r));
}

/** A record, or undefined for anything else (a journal holds nothing else, but never trust bytes). */
function decode(payload: Buffer): JournalRecord | undefined {
  try {
    const r = JSON.parse(payload.toString('utf8')) as Partial<JournalRecord>;
    if (r.v !== 1 || typeof r.owner !== 'string' || !Array.isArray(r.open)) return undefined;
    if (!r.open.every((x) => typeof x === 'string' && /^\d+:\d+$/.test(x))) return undefined;
    return r as JournalRecord;
  } catch {
    return undefined;
  }
}

/**
 * Which received inputs the worker may decide, and in what order (#27). Sits between the
 * subscription and the batch loop and keeps three promises after a commit failed or the broker
 * restarted:
 *
 * 1. Already committed inputs are recognised. A broker redelivers what was unacknowledged when
 *    a consumer reconnects, including a batch whose transaction was still committing; acking such
 *    an input again inside a transaction fails the whole batch (TransactionConflict). The gate
 *    remembers the ids of the inputs this worker committed recently; a copy of one of those comes
 *    back as a `duplicate`, to ack, not decide. Only exact ids count: an OLDER input of a key can
 *    arrive after newer ones of that key were committed (a killed worker's open transaction holds
 *    its inputs' acks until it times out, and the broker meanwhile dispatches the newer ones to
 *    the next consumer; a hand-back the gate gave up waiting for), and such an input was never
 *    decided. (A per-key position watermark took those for committed and acked them: lost.)
 * 2. A second copy of an input that is already queued or in flight (a redelivery asked for twice:
 *    once by the broker's reconnect, once by the worker) is dropped.
 * 3. Per-key order after a failed commit: the batch's inputs are handed back and the gate holds
 *    everything received after them until every one of them is back, then releases all of it
 *    sorted by position, so no newer event of a key is decided before an older one.
 * 4. Bounded memory while holding (#26): at most `maxHeld` inputs are held. Past it, a newer input
 *    is handed back to the broker too (`takeOverflow()`; the worker releases it) and only its id
 *    is kept. Its key stays blocked until it comes back: any input of that key newer than the
 *    oldest one handed back goes back as well, whether the hold has ended or not, so inputs
 *    already on the wire when the first went back cannot overtake it (the broker has no epoch to
 *    drop them). An input older than one held of its key is held anyway (rare: a late
 *    redelivery), so the bound never reorders a key.
 *
 * No I/O; the worker asks the subscription to redeliver what `missing()` lists.
 */
import type { InputMessage } from './records.ts';

/**
 * Committed input ids remembered, newest kept. Redeliveries of committed inputs follow a
 * reconnect and are at most what the consumer had unacknowledged then (its receive queue and the
 * batches in flight), far fewer. Forgetting one only costs a duplicate that is not recognised:
 * its batch aborts with TransactionConflict and is handed back, the duplicate does not come back
 * (it is acknowledged), and the worker holds newer inputs until it gives up waiting for it.
 */
export const MAX_COMMITTED_IDS = 100_000;

/** Held inputs at most, by default (the worker passes its `maxInFlight`). */
const MAX_HELD = 1_000;

/** A message id `ledger:entry[:partition[:batchIndex]]` as comparable numbers. */
type Position = readonly [ledger: bigint, entry: bigint, batchIndex: number];

export class InputGate {
  readonly #maxCommitted: number;
  readonly #maxHeld: number;
  /** `${topic}\0${messageId}` of recently committed inputs, oldest first. */
  readonly #committed = new Set<string>();
  /** Ids queued, held, or in the batch being decided (for dropping second copies). */
  readonly #present = new Set<string>();
  /** Handed back, not yet received again: id -> the input. */
  readonly #missing = new Map<string, InputMessage>();
  /** Received while holding; released, sorted, once nothing is missing. */
  #held: InputMessage[] = [];
  /** Ready to decide, in order. */
  #ready: InputMessage[] = [];
  /** Per key held: its newest held input's id (an older arrival of the key is held past the bound). */
  readonly #heldNewest = new Map<string, string>();
  /** Per key: ids handed back past the bound and not received again, oldest first. */
  readonly #overflow = new Map<string, string[]>();
  #overflowIds = 0;
  /** Handed back past the bound since the last takeOverflow(): for the worker to release. */
  #toRelease: InputMessage[] = [];
  /** Inputs handed back past the bound that came back (progress, for the worker's give-up). */
  #returned = 0;

  constructor(maxCommitted = MAX_COMMITTED_IDS, maxHeld = MAX_HELD) {
    this.#maxCommitted = maxCommitted;
    this.#maxHeld = maxHeld;
  }

  /** True while handed-back inputs are awaited (newer inputs are held meanwhile). */
  get holding(): boolean {
    return this.#missing.size > 0;
  }

  /** Inputs ready to decide. */
  get ready(): number {
    return this.#ready.length;
  }

  /** Inputs received but held behind handed-back ones. */
  get held(): number {
    return this.#held.length;
  }

  /** Inputs handed back past the hold's bound and not received again (ids only are kept). */
  get overflowed(): number {
    return this.#overflowIds;
  }

  /** How many inputs handed back past the bound have come back so far. */
  get overflowReturned(): number {
    return this.#returned;
  }

  /** Inputs to hand back to the broker (past the hold's bound); each is listed once. */
  takeOverflow(): InputMessage[] {
    const out = this.#toRelease;
    this.#toRelease = [];
    return out;
  }

  /** Handed-back inputs not received again yet (to ask for again). */
  missing(): InputMessage[] {
    return [...this.#missing.values()];
  }

  /**
   * Takes in what the subscription delivered; returns the inputs that were already committed
   * (to acknowledge, never to decide). The rest become ready, or held while holding.
   */
  admit(received: readonly InputMessage[]): InputMessage[] {
    const duplicates: InputMessage[] = [];
    for (const m of received) {
      if (this.#isCommitted(m)) {
        duplicates.push(m);
        continue;
      }
      if (this.#present.has(m.messageId)) continue;
      if (this.#blockedByOverflow(m)) {
        this.#handBack(m);
        continue;
      }
      if (this.#missing.size === 0) {
        this.#present.add(m.messageId);
        this.#ready.push(m);
        continue;
      }
      const wasMissing = this.#missing.delete(m.messageId);
      if (!wasMissing && this.#held.length >= this.#maxHeld && !this.#olderThanHeld(m)) {
        this.#handBack(m);
        continue;
      }
      this.#present.add(m.messageId);
      this.#hold(m);
      if (this.#missing.size === 0) this.#releaseHeld();
    }
    return duplicates;
  }

  /** Up to `max` ready inputs, oldest first (they are in flight until committed or handed back). */
  take(max: number): InputMessage[] {
    return this.#ready.splice(0, max);
  }

  /** The batch committed: its inputs' ids are remembered (their copies are duplicates). */
  committed(batch: readonly InputMessage[]): void {
    for (const m of batch) {
      this.#present.delete(m.messageId);
      this.#committed.add(committedKey(m));
      if (this.#committed.size > this.#maxCommitted) this.#committed.delete(this.#committed.keys().next().value as string);
    }
  }

  /**
   * The batch did not commit and its inputs were handed back: hold every input received from
   * now on (and the ready ones not yet taken) until all of them are back.
   */
  handedBack(batch: readonly InputMessage[]): void {
    for (const m of batch) {
      this.#present.delete(m.messageId);
      this.#missing.set(m.messageId, m);
    }
    for (const m of this.#ready.splice(0)) this.#hold(m);
  }

  /**
   * Stop waiting for what is missing (it was committed after all, or will not come back) and
   * release what is held. Per-key order is no longer guaranteed for the missing inputs' keys.
   */
  giveUp(): InputMessage[] {
    const gone = this.missing();
    this.#missing.clear();
    this.#releaseHeld();
    return gone;
  }

  /**
   * Stop waiting for inputs handed back past the bound (their keys are no longer blocked): the
   * liveness escape when they do not come back. Per-key order is no longer guaranteed for those
   * keys. Returns how many were forgotten.
   */
  forgetOverflow(): number {
    const n = this.#overflowIds;
    this.#overflow.clear();
    this.#overflowIds = 0;
    return n;
  }

  /** Forget everything queued and held (the worker is stopping; the broker redelivers it). */
  clear(): void {
    this.#present.clear();
    this.#missing.clear();
    this.#held = [];
    this.#heldNewest.clear();
    this.#ready = [];
    this.#overflow.clear();
    this.#overflowIds = 0;
    this.#toRelease = [];
  }

  #hold(m: InputMessage): void {
    this.#held.push(m);
    const k = keyOf(m);
    const newest = this.#heldNewest.get(k);
    if (newest === undefined || compareIds(m.messageId, newest) > 0) this.#heldNewest.set(k, m.messageId);
  }

  /** Older than a held input of its key: handing it back could let the newer one overtake it. */
  #olderThanHeld(m: InputMessage): boolean {
    const newest = this.#heldNewest.get(keyOf(m));
    return newest !== undefined && compareIds(m.messageId, newest) < 0;
  }

  /**
   * Whether m must go back because its key has inputs handed back past the bound: yes when it is
   * newer than the oldest of them. The oldest itself coming back unblocks it (one step).
   */
  #blockedByOverflow(m: InputMessage): boolean {
    const k = keyOf(m);
    const ids = this.#overflow.get(k);
    if (ids === undefined) return false;
    const c = compareIds(m.messageId, ids[0] as string);
    if (c < 0) return false;
    if (c === 0 && ids[0] === m.messageId) {
      ids.shift();
      this.#overflowIds--;
      this.#returned++;
      if (ids.length === 0) this.#overflow.delete(k);
      return false;
    }
    return true;
  }

  /** Hands m back to the broker (once per arrival) and keeps its id until it returns. */
  #handBack(m: InputMessage): void {
    const k = keyOf(m);
    let ids = this.#overflow.get(k);
    if (ids === undefined) {
      ids = [];
      this.#overflow.set(k, ids);
    }
    if (!ids.includes(m.messageId)) {
      // Sorted by position: arrivals are mostly in order, so the scan from the end is short.
      let i = ids.length;
      while (i > 0 && compareIds(ids[i - 1] as string, m.messageId) > 0) i--;
      ids.splice(i, 0, m.messageId);
      this.#overflowIds++;
    }
    this.#toRelease.push(m);
  }

  #releaseHeld(): void {
    // Sorted by position within each topic partition: each key lives in one partition, so this
    // is each key's order on the topic, whatever order redeliveries and prefetched inputs came
    // in. Partitions keep the arrival slots they had, so they interleave as they arrived.
    const perTopic = new Map<string, InputMessage[]>();
    for (const m of this.#held) {
      const list = perTopic.get(m.topic) ?? [];
      list.push(m);
      perTopic.set(m.topic, list);
    }
    for (const list of perTopic.values()) list.sort((x, y) => compareIds(x.messageId, y.messageId));
    for (const m of this.#held) this.#ready.push((perTopic.get(m.topic) as InputMessage[]).shift() as InputMessage);
    this.#held = [];
    this.#heldNewest.clear();
  }

  #isCommitted(m: InputMessage): boolean {
    return this.#committed.has(committedKey(m));
  }
}

function committedKey(m: InputMessage): string {
  return `${m.topic}\u0000${m.messageId}`;
}

/** A key's place: its topic partition and key (keyless inputs share one). */
function keyOf(m: InputMessage): string {
  return `${m.topic}\u0000${m.key ?? ''}`;
}

/** `ledger:entry[:partition[:batchIndex]]`; undefined when it is not one. */
function positionOf(id: string): Position | undefined {
  const parts = id.split(':');
  if (parts.length < 2) return undefined;
  try {
    return [BigInt(parts[0] as string), BigInt(parts[1] as string), Number(parts[3] ?? -1)];
  } catch {
    return undefined;
  }
}

/** Ledger, entry, then batch index; a non-batch id sorts after its entry's batch members. */
function compare(a: Position, b: Position): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  const x = a[2] < 0 ? Number.MAX_SAFE_INTEGER : a[2];
  const y = b[2] < 0 ? Number.MAX_SAFE_INTEGER : b[2];
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Position order; ids that are not positions compare equal (a stable sort keeps them as they came). */
function compareIds(a: string, b: string): number {
  const x = positionOf(a);
  const y = positionOf(b);
  return x === undefined || y === undefined ? 0 : compare(x, y);
}

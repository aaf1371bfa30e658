/**
 * Per-entry acknowledgement state of batches. An entry is acknowledged to the broker only when
 * every message in it has been acknowledged, so acking one message never acks its neighbours;
 * the same state hides already-acked indexes when the broker redelivers the whole entry.
 */
export interface BatchAckState {
  readonly size: number;
  readonly acked: Uint8Array;
  remaining: number;
}

export class BatchAcks {
  readonly #byEntry = new Map<string, BatchAckState>();

  /** The same string as MessageId.entryKey (which memoizes it). */
  static key(ledgerId: bigint, entryId: bigint): string {
    return `${ledgerId}:${entryId}`;
  }

  get size(): number {
    return this.#byEntry.size;
  }

  get(key: string): BatchAckState | undefined {
    return this.#byEntry.get(key);
  }

  /** Mark `index` acked; returns the entry state (remaining 0 means the entry is fully acked). */
  ack(key: string, size: number, index: number): BatchAckState {
    let s = this.#byEntry.get(key);
    if (s === undefined) {
      s = { size, acked: new Uint8Array(size), remaining: size };
      this.#byEntry.set(key, s);
    }
    if (index >= 0 && index < s.size && s.acked[index] === 0) {
      s.acked[index] = 1;
      s.remaining--;
    }
    if (s.remaining === 0) this.#byEntry.delete(key);
    return s;
  }

  /** Mark indexes [0, upTo] acked (cumulative ack inside a batch). */
  ackUpTo(key: string, size: number, upTo: number): BatchAckState {
    let s = this.ack(key, size, 0);
    for (let i = 1; i <= upTo; i++) s = this.ack(key, size, i);
    return s;
  }

  delete(key: string): void {
    this.#byEntry.delete(key);
  }

  clear(): void {
    this.#byEntry.clear();
  }

  /** Pulsar ack_set words: bit i set = message i NOT yet acknowledged. */
  static unackedBits(s: BatchAckState): bigint[] {
    const words: bigint[] = [];
    for (let w = 0; w * 64 < s.size; w++) {
      let v = 0n;
      for (let b = 0; b < 64 && w * 64 + b < s.size; b++) {
        if (s.acked[w * 64 + b] === 0) v |= 1n << BigInt(b);
      }
      words.push(BigInt.asIntN(64, v));
    }
    return words;
  }

  /** ack_set words of an entry of `size` members where exactly `acked` are acknowledged. */
  static bitsExcept(size: number, acked: ReadonlySet<number>): bigint[] {
    const words: bigint[] = [];
    for (let w = 0; w * 64 < size; w++) {
      let v = 0n;
      for (let b = 0; b < 64 && w * 64 + b < size; b++) if (!acked.has(w * 64 + b)) v |= 1n << BigInt(b);
      words.push(BigInt.asIntN(64, v));
    }
    return words;
  }

  /** Is bit `i` set in a broker ack_set (the message still needs delivery)? */
  static bitSet(words: readonly bigint[], i: number): boolean {
    const w = words[i >> 6];
    if (w === undefined) return false;
    return ((BigInt.asUintN(64, w) >> BigInt(i & 63)) & 1n) === 1n;
  }
}

/**
 * Folds `state` topic records into the latest record per key: the one reading of the changelog
 * that a restore (pulsar-io.ts) and a standby (state-standby.ts) share. Split by prefix while
 * reading: one record object per key, and no second pass over a million entries.
 */
import type { ChangeRecord } from '../state/index.ts';
import type { Message, Reader } from '../pulsar/index.ts';
import { EXPIRES_AT_PROPERTY, parseChangelogKey, type ChangelogSnapshot } from './worker-io.ts';

/** A record a read of the state partition must reach before it may stop (see markStateEnd). */
export interface StateEnd {
  readonly key: string;
  readonly value: string;
}

/**
 * Reads into `acc` while the broker says more is available, and in any case until `until` was
 * read (the broker gives nothing past an undecided transaction, so "nothing available" can come
 * before records already committed).
 */
export async function readToEnd(
  reader: Pick<Reader, 'hasMessageAvailable' | 'readNext'>,
  acc: ChangelogAccumulator,
  until: StateEnd | undefined,
  readTimeoutMs: number,
): Promise<void> {
  // A standby may have read it already, before it was handed over.
  let reached = until === undefined || acc.has(until);
  while (!reached || (await reader.hasMessageAvailable())) {
    const m = await reader.readNext(readTimeoutMs);
    acc.apply(m);
    if (!reached && until !== undefined && acc.has(until)) reached = true;
  }
}

export class ChangelogAccumulator {
  readonly #state = new Map<string, ChangeRecord>();
  readonly #windows = new Map<string, ChangeRecord>();
  readonly #markers = new Map<string, string>();
  #records = 0;

  /** Records read so far (every message, including deletes and foreign keys). */
  get records(): number {
    return this.#records;
  }

  /** Keys held now (handler state and window state). */
  get keys(): number {
    return this.#state.size + this.#windows.size;
  }

  apply(m: Message): void {
    this.#records++;
    const at = m.key === undefined ? undefined : parseChangelogKey(m.key);
    if (at === undefined) return;
    if (at.store === 'markers') {
      if (m.nullValue || m.payload.length === 0) this.#markers.delete(at.key);
      else this.#markers.set(at.key, m.payload.toString('utf8'));
      return;
    }
    const into = at.store === 'state' ? this.#state : this.#windows;
    const key = at.key;
    if (m.nullValue || m.payload.length === 0) {
      into.delete(key);
      return;
    }
    const exp = m.properties[EXPIRES_AT_PROPERTY];
    into.set(key, exp === undefined ? { key, value: m.payload } : { key, value: m.payload, expiresAtMs: Number(exp) });
  }

  /** Was this marker record (key `t/...`, this value) the last one read for its key? */
  has(end: StateEnd): boolean {
    const at = parseChangelogKey(end.key);
    return at?.store === 'markers' && this.#markers.get(at.key) === end.value;
  }

  snapshot(): ChangelogSnapshot {
    return { state: [...this.#state.values()], windows: [...this.#windows.values()], markers: new Map(this.#markers) };
  }
}

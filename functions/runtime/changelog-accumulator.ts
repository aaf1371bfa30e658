/**
 * Folds `state` topic records into the latest record per key: the one reading of the changelog
 * that a restore (pulsar-io.ts) and a standby (state-standby.ts) share. Split by prefix while
 * reading: one record object per key, and no second pass over a million entries.
 */
import type { ChangeRecord } from '../state/index.ts';
import type { Message, Reader } from '../pulsar/index.ts';
import { EXPIRES_AT_PROPERTY, parseChangelogKey, type ChangelogSnapshot } from './worker-io.ts';

/**
 * Reads the state partition into `acc` while the broker says more is available (and `go()`
 * holds): the end of a restore, of a standby's first read and of its hand-over alike.
 */
export async function readToEnd(
  reader: Pick<Reader, 'hasMessageAvailable' | 'readNext'>,
  acc: ChangelogAccumulator,
  readTimeoutMs: number,
  go: () => boolean = () => true,
): Promise<void> {
  while (go() && (await reader.hasMessageAvailable())) acc.apply(await reader.readNext(readTimeoutMs));
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

  snapshot(): ChangelogSnapshot {
    return { state: [...this.#state.values()], windows: [...this.#windows.values()], markers: new Map(this.#markers) };
  }
}

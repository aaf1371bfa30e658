/**
 * The worker's side of crypto-shredding (#21): each data subject's key, read from the namespace's
 * compacted `subject-keys` topic, or created on the subject's first event.
 *
 * Why creating is safe with replicas: the subject is the message key, and Key_Shared (or
 * ownership by partition) gives a key to one replica at a time; the next owner gets the key's
 * events only after the previous owner's batches committed, and a key is recorded (send
 * confirmed) before any output of the batch that first used it. So a replica that does not find
 * a subject's key reads the topic to its end before it creates one. If that read times out (a
 * compacted trailing tombstone), two keys may exist for a while; the later one wins, and outputs
 * written under the earlier one are simply unlinkable: more shredding, never less.
 *
 * Erasure (`beamline gdpr erase`) tombstones the subject's key; the vault forgets it at once, so
 * the subject's next event starts under a fresh key (a new pseudonym, empty history).
 */
import { Backoff } from '../backoff.ts';
import type { Clock } from '../clock.ts';
import { isRetriable } from '../errors.ts';
import {
  encodeSubjectKeyRecord,
  newSubjectKey,
  openSubjectKey,
  parseSubjectKeyRecord,
  subjectIndexer,
  subjectKeyring,
  subjectTokenizer,
  type PiiTokenizer,
  type TenantKeyring,
} from '../governance/index.ts';
import type { PulsarClient } from '../pulsar/index.ts';
import type { Logger } from '../telemetry.ts';

/** The part of a TableView the vault reads (ours: the client's TableView). */
export interface SubjectKeysView {
  get(key: string): Buffer | undefined;
  on(event: 'change', listener: (c: { key: string; value: Buffer | undefined }) => void): () => void;
  refresh(timeoutMs?: number): Promise<boolean>;
}

/** One subject's tokenizer and the keyring that seals its dead letters. */
export interface SubjectKeys {
  readonly tokenizer: PiiTokenizer;
  readonly keyring: TenantKeyring;
}

export interface SubjectVaultOptions {
  view: SubjectKeysView;
  /** Records a new subject key (key = index); resolves once the broker has it. Absent: read-only. */
  record?: (index: string, payload: Buffer) => Promise<void>;
  keyring: TenantKeyring;
  /** The namespace's PII fields (besides the key). */
  fields: readonly string[];
  clock: Clock;
  log: Logger;
  /** How many subjects' keys stay in memory. @default 100000 */
  cacheSize?: number;
  /** How long a miss waits for the view to catch up before a key is created. @default 5000 */
  refreshTimeoutMs?: number;
  /**
   * How long a miss keeps asking while the broker fails retriably (a restart): the batch waits,
   * as the worker's other re-reads do, instead of failing the worker. @default 120000
   */
  retryForMs?: number;
}

export class SubjectVault {
  readonly #o: SubjectVaultOptions;
  readonly #index: (subjectId: string) => string;
  /** index -> the subject's keys; a Map kept in use order (least recent first). */
  readonly #cache = new Map<string, SubjectKeys>();
  readonly #creating = new Map<string, Promise<SubjectKeys>>();
  readonly #unsubscribe: () => void;
  /** Misses so far, and the refresh in flight with the last miss it covers. */
  #misses = 0;
  #refresh: { covers: number; done: Promise<boolean> } | undefined;

  constructor(options: SubjectVaultOptions) {
    this.#o = options;
    this.#index = subjectIndexer(options.keyring);
    // An erased subject is forgotten at once: its next event must not reuse the destroyed key.
    this.#unsubscribe = options.view.on('change', (c) => {
      if (c.value === undefined) this.#cache.delete(c.key);
    });
  }

  /** The subject's keys, creating and recording them on its first event. */
  async keysFor(subjectId: string): Promise<SubjectKeys> {
    const index = this.#index(subjectId);
    const known = this.#known(index);
    if (known !== undefined) return known;
    const pending = this.#creating.get(index);
    if (pending !== undefined) return pending;
    const p = this.#resolveRetrying(index, subjectId).finally(() => this.#creating.delete(index));
    this.#creating.set(index, p);
    return p;
  }

  /** The subject's keys when in memory or in the view; never creates (dead letters, replays). */
  peek(subjectId: string): SubjectKeys | undefined {
    return this.#known(this.#index(subjectId));
  }

  close(): void {
    this.#unsubscribe();
    this.#cache.clear();
  }

  #known(index: string): SubjectKeys | undefined {
    const hit = this.#cache.get(index);
    if (hit !== undefined) {
      this.#cache.delete(index);
      this.#cache.set(index, hit);
      return hit;
    }
    const stored = this.#o.view.get(index);
    if (stored === undefined) return undefined;
    const key = openSubjectKey(this.#o.keyring, index, parseSubjectKeyRecord(index, stored));
    return this.#remember(index, key);
  }

  async #resolveRetrying(index: string, subjectId: string): Promise<SubjectKeys> {
    const clock = this.#o.clock;
    const until = clock.monotonic() + (this.#o.retryForMs ?? 120_000);
    const backoff = new Backoff(200, 5_000);
    for (;;) {
      try {
        return await this.#resolve(index, subjectId);
      } catch (err) {
        if (!isRetriable(err) || clock.monotonic() >= until) throw err;
        const delayMs = backoff.next();
        this.#o.log.warn({ err, delayMs }, 'subject key not read or recorded; asking again');
        await clock.sleep(delayMs);
      }
    }
  }

  async #resolve(index: string, subjectId: string): Promise<SubjectKeys> {
    const caughtUp = await this.#refreshCovering();
    const known = this.#known(index);
    if (known !== undefined) return known;
    if (this.#o.record === undefined) {
      // Read-only (a replay): the subject was never seen online, or was erased. Its rows get a
      // throwaway key (kept in memory for the replay only), so nothing the replay writes can be
      // linked to it either.
      return this.#remember(index, newSubjectKey(this.#o.keyring, index, subjectId, this.#o.fields, this.#o.clock.now()).key);
    }
    if (!caughtUp) this.#o.log.warn({}, 'subject keys view did not catch up in time: creating the key anyway');
    const { key, record } = newSubjectKey(this.#o.keyring, index, subjectId, this.#o.fields, this.#o.clock.now());
    await this.#o.record(index, encodeSubjectKeyRecord(record));
    return this.#remember(index, key);
  }

  /**
   * A read to the topic's end that started after this miss: only such a read is sure to see a key
   * recorded before the miss's event was delivered. Misses share one: a batch of new subjects
   * (decoded concurrently) costs two reads, not one each.
   */
  async #refreshCovering(): Promise<boolean> {
    const mine = ++this.#misses;
    for (;;) {
      const inFlight = this.#refresh;
      if (inFlight !== undefined && inFlight.covers >= mine) return inFlight.done;
      if (inFlight !== undefined) {
        await inFlight.done.catch(() => false);
        continue;
      }
      const entry = { covers: this.#misses, done: this.#o.view.refresh(this.#o.refreshTimeoutMs ?? 5000) };
      this.#refresh = entry;
      entry.done
        .finally(() => {
          if (this.#refresh === entry) this.#refresh = undefined;
        })
        .catch(() => undefined);
      return entry.done;
    }
  }

  #remember(index: string, key: Buffer): SubjectKeys {
    const keys: SubjectKeys = Object.freeze({ tokenizer: subjectTokenizer(key, this.#o.fields), keyring: subjectKeyring(key) });
    this.#cache.set(index, keys);
    const cap = this.#o.cacheSize ?? 100_000;
    while (this.#cache.size > cap) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
    return keys;
  }
}

/**
 * Opens the worker's vault: a TableView of the namespace's `subject-keys` topic and a producer
 * that records new keys (outside transactions: a key must exist before any output that uses it
 * commits, and an unused key of an aborted batch is harmless). The client closes both.
 */
export async function openSubjectVault(
  client: Pick<PulsarClient, 'createTableView' | 'createProducer'>,
  topic: string,
  options: Omit<SubjectVaultOptions, 'view' | 'record'>,
): Promise<SubjectVault> {
  const view = await client.createTableView({ topic });
  const producer = await client.createProducer({ topic });
  return new SubjectVault({
    ...options,
    view,
    record: async (index, payload) => {
      await producer.send({ key: index, payload });
    },
  });
}

/**
 * The audit trail's hash chain (#21): every record a writer puts on a namespace's `audit` topic
 * carries, in message properties, the writer's id, its sequence number, the hash of the writer's
 * previous record and a MAC over all of that plus the record's key and payload. `beamline audit
 * verify` reads the topic back and finds a removed, altered, reordered or forged record.
 *
 * Why per writer and not per topic: several processes write one audit topic at once (every worker
 * replica, the registry, analysts), each through its own producer, and none can know the others'
 * last hash without a round trip per record. Pulsar keeps each producer's order within a
 * partition, so each writer's chain is checkable on its own.
 *
 * Why links are staged: a worker writes its audit records inside a transaction. A batch whose
 * commit aborted leaves no record, so its links must not advance the chain (`stage` ... then
 * `commit` or `discard`). An at-least-once batch whose publish failed half-way may leave a prefix
 * of its records and is written again from the same link: the verifier reports such a fork as a
 * resend (both copies carry valid MACs), not as tampering.
 *
 * The MAC key is derived from the tenant's token key (stable across rotations); with no keyring
 * the chain is plain SHA-256: it still detects removal, reordering and careless edits, but not a
 * forger who recomputes hashes. No I/O here.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TenantKeyring } from './keyring.ts';

export const AUDIT_CHAIN_PROPERTIES = Object.freeze({
  writer: 'beamline.audit.writer',
  seq: 'beamline.audit.seq',
  prev: 'beamline.audit.prev',
  mac: 'beamline.audit.mac',
});

const GENESIS = '0'.repeat(64);
const DOMAIN = 'beamline audit chain v1';

/** How a chain is sealed: HMAC-SHA256 under a key derived from the tenant's key `keyId`, or bare SHA-256. */
export type AuditSeal = { readonly kind: 'hmac'; readonly keyId: string; readonly key: Buffer } | { readonly kind: 'sha256' };

/** The seal a writer uses: the tenant's token key when there is a keyring (it never rotates away). */
export function auditSealOf(keyring: TenantKeyring | undefined): AuditSeal {
  if (keyring === undefined) return { kind: 'sha256' };
  return { kind: 'hmac', keyId: keyring.tokenKeyId, key: deriveAuditKey(keyring.key(keyring.tokenKeyId)) };
}

function deriveAuditKey(tenantKey: Buffer): Buffer {
  return createHmac('sha256', tenantKey).update(DOMAIN).digest();
}

interface LinkFields {
  readonly writer: string;
  readonly seq: number;
  readonly prev: string;
  readonly key: string | undefined;
  readonly payload: Buffer;
}

/** The hash a record is known by (its successor's `prev`), and its MAC property value. */
function seal(s: AuditSeal, f: LinkFields): { hash: string; mac: string } {
  // One pass: a length-prefixed JSON head (domain, writer, seq, prev, key or null, payload
  // length), then the payload. The head's length and the payload's length in it keep any field
  // from running into the next.
  const head = Buffer.from(JSON.stringify([DOMAIN, f.writer, f.seq, f.prev, f.key ?? null, f.payload.length]));
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(head.length);
  const h = s.kind === 'sha256' ? createHash('sha256') : createHmac('sha256', s.key);
  const hash = h.update(Buffer.concat([len, head, f.payload])).digest('hex');
  return { hash, mac: s.kind === 'sha256' ? `sha256:${hash}` : `hmac-sha256:${s.keyId}:${hash}` };
}

export interface AuditChainWriterOptions {
  readonly seal: AuditSeal;
  /** What writes (e.g. `worker`, `registry`, `review`); the writer id adds a random suffix. */
  readonly role: string;
}

/**
 * One writer's chain. `link` for records published at once (the registry), `stage` + `commit` /
 * `discard` for records published in a transaction or a batch that may fail.
 */
export class AuditChainWriter {
  readonly writerId: string;
  readonly #seal: AuditSeal;
  #seq = 0;
  #prev = GENESIS;
  #staged: { seq: number; prev: string } | undefined;

  constructor(o: AuditChainWriterOptions) {
    this.#seal = o.seal;
    // Unique per process start: a restarted worker begins a new chain rather than guessing where
    // its predecessor's ended.
    this.writerId = `${o.role}-${randomBytes(8).toString('hex')}`;
  }

  /** Links records (in publish order) and moves the chain on at once. */
  link(records: ReadonlyArray<{ key: string | undefined; payload: Buffer }>): Array<Record<string, string>> {
    const props = this.stage(records);
    this.commit();
    return props;
  }

  /** Links records after the committed head; the chain moves on only at `commit`. */
  stage(records: ReadonlyArray<{ key: string | undefined; payload: Buffer }>): Array<Record<string, string>> {
    let seq = this.#seq;
    let prev = this.#prev;
    const out: Array<Record<string, string>> = [];
    for (const r of records) {
      const { hash, mac } = seal(this.#seal, { writer: this.writerId, seq, prev, key: r.key, payload: r.payload });
      out.push({
        [AUDIT_CHAIN_PROPERTIES.writer]: this.writerId,
        [AUDIT_CHAIN_PROPERTIES.seq]: String(seq),
        [AUDIT_CHAIN_PROPERTIES.prev]: prev,
        [AUDIT_CHAIN_PROPERTIES.mac]: mac,
      });
      seq++;
      prev = hash;
    }
    this.#staged = { seq, prev };
    return out;
  }

  /** The staged records were written (committed, or at least once published). */
  commit(): void {
    if (this.#staged === undefined) return;
    this.#seq = this.#staged.seq;
    this.#prev = this.#staged.prev;
    this.#staged = undefined;
  }

  /** The staged records were not written (an aborted transaction): the next ones link to the head. */
  discard(): void {
    this.#staged = undefined;
  }
}

/** One record read back from an audit topic, in the topic's order within its partition. */
export interface AuditRecordRead {
  readonly messageId: string;
  /** The partition index (-1 for a non-partitioned topic). */
  readonly partition: number;
  readonly key: string | undefined;
  readonly payload: Buffer;
  readonly properties: Readonly<Record<string, string>>;
}

export type AuditProblemKind = 'unchained' | 'altered' | 'forged' | 'removed' | 'reordered' | 'unknown-key' | 'truncated';

export interface AuditProblem {
  readonly kind: AuditProblemKind;
  readonly messageId: string;
  readonly writer?: string;
  readonly seq?: number;
  readonly detail: string;
}

export interface AuditWriterSummary {
  readonly writer: string;
  readonly records: number;
  /** The highest sequence number seen and its hash: compare with an anchor to detect a cut tail. */
  readonly lastSeq: number;
  readonly lastHash: string;
  readonly sealedWith: string;
}

export interface AuditVerifyReport {
  readonly records: number;
  readonly writers: readonly AuditWriterSummary[];
  /** Records written twice from the same link by an at-least-once writer after a failed publish. */
  readonly resends: number;
  readonly problems: readonly AuditProblem[];
  readonly ok: boolean;
}

export interface AuditVerifyOptions {
  /** The tenant's keyring: needed to check HMAC seals (without it they are reported `unknown-key`). */
  readonly keyring?: TenantKeyring;
  /** Records without chain properties (written before the chain existed) are not problems. @default false */
  readonly allowUnchained?: boolean;
  /**
   * Writers' heads saved by an earlier verify (kept outside the topic): each must still be in
   * the trail, or records at its tail were cut off (`truncated`). @default none
   */
  readonly anchors?: ReadonlyArray<Pick<AuditWriterSummary, 'writer' | 'lastSeq' | 'lastHash'>>;
}

interface Entry {
  readonly r: AuditRecordRead;
  readonly index: number;
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
}

/**
 * Checks every record's seal and every writer's links. Removal: a record whose predecessor
 * (sequence - 1, hash = its `prev`) is nowhere, or a writer whose first record is not sequence 0.
 * Reordering: the predecessor exists but comes later in the same partition. A cut-off tail leaves
 * no trace inside the topic: `anchors` (the writers' heads from an earlier verify, kept
 * elsewhere) find it.
 */
export function verifyAuditChain(records: readonly AuditRecordRead[], o: AuditVerifyOptions = {}): AuditVerifyReport {
  const problems: AuditProblem[] = [];
  const byWriter = new Map<string, Entry[]>();
  const sealedWith = new Map<string, string>();
  const keys = new Map<string, Buffer>();
  const sealFor = (mac: string): { s: AuditSeal } | { error: AuditProblemKind; detail: string } => {
    if (mac.startsWith('sha256:')) return { s: { kind: 'sha256' } };
    const m = /^hmac-sha256:([^:]+):[0-9a-f]{64}$/.exec(mac);
    if (m === null) return { error: 'forged', detail: `the seal "${mac.slice(0, 40)}" is not a Beamline audit seal` };
    const keyId = m[1] as string;
    if (o.keyring === undefined || !o.keyring.has(keyId))
      return { error: 'unknown-key', detail: `sealed with key "${keyId}", which the keyring given does not hold (pass --keys-file)` };
    let key = keys.get(keyId);
    if (key === undefined) keys.set(keyId, (key = deriveAuditKey(o.keyring.key(keyId))));
    return { s: { kind: 'hmac', keyId, key } };
  };
  records.forEach((r, index) => {
    const p = r.properties;
    const writer = p[AUDIT_CHAIN_PROPERTIES.writer];
    const seqText = p[AUDIT_CHAIN_PROPERTIES.seq];
    const prev = p[AUDIT_CHAIN_PROPERTIES.prev];
    const mac = p[AUDIT_CHAIN_PROPERTIES.mac];
    if (writer === undefined || seqText === undefined || prev === undefined || mac === undefined) {
      if (o.allowUnchained !== true)
        problems.push({ kind: 'unchained', messageId: r.messageId, detail: 'the record carries no audit chain properties' });
      return;
    }
    const seq = Number(seqText);
    if (!/^\d+$/.test(seqText) || !Number.isSafeInteger(seq) || !/^[0-9a-f]{64}$/.test(prev)) {
      problems.push({ kind: 'forged', messageId: r.messageId, writer, detail: `malformed chain properties (seq "${seqText}")` });
      return;
    }
    const chosen = sealFor(mac);
    if ('error' in chosen) {
      problems.push({ kind: chosen.error, messageId: r.messageId, writer, seq, detail: chosen.detail });
      return;
    }
    const expected = seal(chosen.s, { writer, seq, prev, key: r.key, payload: r.payload });
    if (!equalText(expected.mac, mac)) {
      problems.push({
        kind: 'altered',
        messageId: r.messageId,
        writer,
        seq,
        detail: 'the seal does not match the record: its payload, key or chain properties were changed after it was written',
      });
      return;
    }
    // One writer seals every record the same way: a bare SHA-256 seal inside a keyed writer's
    // chain is a forger recomputing hashes without the key (a downgrade), not a valid link.
    const label = chosen.s.kind === 'hmac' ? `hmac-sha256 (key ${chosen.s.keyId})` : 'sha256 (no keyring: not forgery-proof)';
    const first = sealedWith.get(writer);
    if (first !== undefined && first !== label) {
      problems.push({
        kind: 'forged',
        messageId: r.messageId,
        writer,
        seq,
        detail: `sealed ${label.split(' ')[0]}, but the writer's other records are sealed ${first.split(' ')[0]}`,
      });
      return;
    }
    sealedWith.set(writer, label);
    let list = byWriter.get(writer);
    if (list === undefined) byWriter.set(writer, (list = []));
    list.push({ r, index, seq, prev, hash: expected.hash });
  });

  let resends = 0;
  const writers: AuditWriterSummary[] = [];
  for (const [writer, entries] of byWriter) {
    const byHash = new Map<string, Entry>();
    for (const e of entries) if (!byHash.has(e.hash)) byHash.set(e.hash, e);
    // Two records from the same link: an at-least-once batch written again after a failed publish.
    const forks = new Map<string, Set<string>>();
    for (const e of entries) {
      const at = `${e.seq}:${e.prev}`;
      let hashes = forks.get(at);
      if (hashes === undefined) forks.set(at, (hashes = new Set()));
      hashes.add(e.hash);
    }
    for (const hashes of forks.values()) resends += hashes.size - 1;
    const seen = new Set<string>();
    for (const e of entries) {
      if (seen.has(e.hash)) continue; // the same record twice (a producer resend the broker kept)
      seen.add(e.hash);
      if (e.seq === 0) {
        if (e.prev !== GENESIS)
          problems.push({ kind: 'forged', messageId: e.r.messageId, writer, seq: 0, detail: 'a first record must link to nothing' });
        continue;
      }
      const before = byHash.get(e.prev);
      if (before === undefined || before.seq !== e.seq - 1) {
        problems.push({
          kind: 'removed',
          messageId: e.r.messageId,
          writer,
          seq: e.seq,
          detail: `the record before it (${writer} #${e.seq - 1}) is missing from the topic`,
        });
      } else if (before.r.partition === e.r.partition && before.index > e.index) {
        problems.push({
          kind: 'reordered',
          messageId: e.r.messageId,
          writer,
          seq: e.seq,
          detail: `it comes before the record it follows (${writer} #${e.seq - 1}, ${before.r.messageId})`,
        });
      }
    }
    const last = entries.reduce((a, b) => (b.seq > a.seq ? b : a));
    writers.push({ writer, records: entries.length, lastSeq: last.seq, lastHash: last.hash, sealedWith: sealedWith.get(writer) ?? '' });
  }
  writers.sort((a, b) => a.writer.localeCompare(b.writer));
  for (const a of o.anchors ?? []) {
    const entries = byWriter.get(a.writer) ?? [];
    if (entries.some((e) => e.seq === a.lastSeq && e.hash === a.lastHash)) continue;
    const last = entries.reduce<Entry | undefined>((x, e) => (x === undefined || e.seq > x.seq ? e : x), undefined);
    problems.push({
      kind: 'truncated',
      messageId: last?.r.messageId ?? '-',
      writer: a.writer,
      seq: a.lastSeq,
      detail:
        last === undefined
          ? `the anchor saw this writer up to #${a.lastSeq}; none of its records is in the topic now`
          : `the anchor saw this writer up to #${a.lastSeq} (${a.lastHash.slice(0, 16)}); the topic has it only up to #${last.seq}`,
    });
  }
  return { records: records.length, writers, resends, problems, ok: problems.length === 0 };
}

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * #21: GDPR erasure by crypto-shredding, and the right of access, for a namespace whose events
 * name their data subject (`dataSubject: $key`, see subject-vault.ts).
 *
 * Erasure destroys the subject's key: its tombstone on the compacted `subject-keys` topic (the
 * only copy of the key, wrapped by the tenant key) and on every `state` entry of the subject's
 * pseudonym, an audit record, then compaction of both topics so the compacted views drop them.
 * Everything else the subject left (pseudonymous predictions, actions, review items, audit
 * records, dead letters sealed under its key) stays, but is keyed, tokenized and sealed under a
 * key that no longer exists: nothing the system still holds links it back to the subject.
 *
 * Not covered (README, governance): the raw `events` backlog (ingress keeps raw input until its
 * retention ends), and the bytes of tombstoned records in ledgers until compaction and retention
 * have removed them.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { BeamlineError } from '../errors.ts';
import {
  GOVERNANCE_ERROR_CODES,
  isEnvelope,
  openSubjectKey,
  parseSubjectKeyRecord,
  SUBJECT_KEY_ID,
  subjectIndexer,
  subjectKeyring,
  type AuditSeal,
  type TenantKeyring,
} from '../governance/index.ts';
import type { PulsarAdmin, PulsarClient } from '../pulsar/index.ts';
import { partitionTopic } from '../pulsar/index.ts';
import { openDeadLetter } from './dead-letters.ts';
import { currentAvroSchema, openAuditWriter } from './model-registry/index.ts';
import { namespaceTopic } from './worker-options.ts';
import type { DeadLetterContent, DeadLetterRecord } from './records.ts';
import { parseChangelogKey } from './worker-io.ts';

export interface GdprTarget {
  client: PulsarClient;
  admin: Pick<PulsarAdmin, 'topics' | 'namespaces'>;
  tenant: string;
  namespace: string;
  keyring: TenantKeyring;
  /** The data subject's id as events carry it (the raw message key). */
  subjectId: string;
}

export interface ErasureReceipt {
  /** Quote this to the requester; the audit record carries it (never the subject's id). */
  readonly erasureId: string;
  /** False when the namespace held no key for the subject (nothing was written under one). */
  readonly subjectKeyFound: boolean;
  readonly stateEntriesErased: number;
  readonly atMs: number;
  /**
   * What erasure cannot reach: the raw input on `events` stays until its retention ends (after
   * the worker acknowledged it). Minutes; -1 when retention is unlimited; null when unknown.
   */
  readonly rawEventsRetentionMinutes: number | null;
}

export interface SubjectExport {
  readonly found: boolean;
  /** The subject's pseudonymous message key in every topic past ingress. */
  readonly pseudonym: string | null;
  readonly state: readonly { store: string; key: string; value: unknown }[];
  readonly topics: Readonly<Record<'predictions' | 'actions' | 'review' | 'audit', readonly unknown[]>>;
  readonly deadLetters: readonly { record: DeadLetterRecord; content: DeadLetterContent | null }[];
}

/** The topic itself when it is not partitioned, else each partition's. */
async function partitionsOf(t: GdprTarget, topic: string): Promise<string[]> {
  const { partitions } = await t.admin.topics.getPartitionedMetadata(topic);
  return partitions > 0 ? Array.from({ length: partitions }, (_, i) => partitionTopic(topic, i)) : [topic];
}

/** The subject's key and pseudonym, when the namespace holds one. */
async function subjectKeyOf(t: GdprTarget): Promise<{ index: string; key: Buffer; pseudonym: string } | undefined> {
  const index = subjectIndexer(t.keyring)(t.subjectId);
  const view = await t.client.createTableView({ topic: namespaceTopic(t, 'subject-keys') });
  try {
    const stored = view.get(index);
    if (stored === undefined) return undefined;
    const record = parseSubjectKeyRecord(index, stored);
    return { index, key: openSubjectKey(t.keyring, index, record), pseudonym: record.pseudonym };
  } finally {
    await view.close();
  }
}

/** Every compacted `state` entry that belongs to the pseudonym, with the partition it lives in. */
async function stateEntriesOf(t: GdprTarget, pseudonym: string): Promise<{ topic: string; key: string; value: Buffer }[]> {
  const out: { topic: string; key: string; value: Buffer }[] = [];
  for (const topic of await partitionsOf(t, namespaceTopic(t, 'state'))) {
    const view = await t.client.createTableView({ topic });
    try {
      // Handlers key state by the record key (scoring: a prefix and the key; windows: w:start:end:key).
      for (const [key, value] of view.entries()) if (parseChangelogKey(key)?.key.includes(pseudonym)) out.push({ topic, key, value });
    } finally {
      await view.close();
    }
  }
  return out;
}

export interface EraseOptions {
  actor: string;
  auditSeal: AuditSeal;
  clock: Clock;
  /**
   * How long to wait, after the key's tombstone, for worker batches in flight to commit before
   * the state is swept again: a batch decoded just before a worker saw the tombstone may still
   * write the subject's state under the old pseudonym. @default 5000
   */
  graceMs?: number;
}

export async function eraseSubject(t: GdprTarget & EraseOptions): Promise<ErasureReceipt> {
  const erasureId = randomUUID();
  const subject = await subjectKeyOf(t);
  let stateEntriesErased = 0;
  if (subject !== undefined) {
    // State first: were the key destroyed first and this step then failed, a retry could no
    // longer find the pseudonym the state is keyed by.
    stateEntriesErased += await tombstoneState(t, subject.pseudonym);
    const keys = await t.client.createProducer({ topic: namespaceTopic(t, 'subject-keys') });
    try {
      await keys.send({ key: subject.index, payload: Buffer.alloc(0), nullValue: true });
    } finally {
      await keys.close();
    }
    // Workers forget the key as soon as they read its tombstone; a batch decoded just before
    // commits within moments. Sweep once more after that.
    await t.clock.sleep(t.graceMs ?? 5000);
    stateEntriesErased += await tombstoneState(t, subject.pseudonym);
  }
  const atMs = t.clock.now();
  const receipt: ErasureReceipt = Object.freeze({
    erasureId,
    subjectKeyFound: subject !== undefined,
    stateEntriesErased,
    atMs,
    rawEventsRetentionMinutes: await eventsRetentionMinutes(t),
  });
  const audit = await openAuditWriter(t.client, namespaceTopic(t, 'audit'), t.auditSeal, 'gdpr');
  try {
    await audit.send(
      { at: atMs, actor: t.actor, action: 'gdpr-erase', subject: erasureId, detail: JSON.stringify({ type: 'gdpr-erase', ...receipt }) },
      { key: erasureId, eventTimeMs: atMs },
    );
  } finally {
    await audit.producer.close();
  }
  // The compacted views drop the tombstoned records now rather than at the next threshold.
  for (const topic of [
    ...(await partitionsOf(t, namespaceTopic(t, 'subject-keys'))),
    ...(await partitionsOf(t, namespaceTopic(t, 'state'))),
  ]) {
    await t.admin.topics.triggerCompaction(topic).catch(() => undefined); // one already running is fine
  }
  return receipt;
}

/**
 * Opens dead letters sealed under the tenant key, or (#21) under their subject's own key: those
 * are found by the record's pseudonymous key among the subject keys the namespace still holds.
 * A subject that was erased has no key any more: its dead letters no longer open, by design.
 */
export async function openDeadLetters(
  t: Omit<GdprTarget, 'subjectId' | 'admin'>,
  records: readonly DeadLetterRecord[],
): Promise<DeadLetterContent[]> {
  let bySubject: Map<string, TenantKeyring> | undefined;
  if (records.some((r) => r.sealed?.kid === SUBJECT_KEY_ID)) {
    bySubject = new Map();
    const view = await t.client.createTableView({ topic: namespaceTopic(t, 'subject-keys') });
    try {
      for (const [index, value] of view.entries()) {
        const record = parseSubjectKeyRecord(index, value);
        bySubject.set(record.pseudonym, subjectKeyring(openSubjectKey(t.keyring, index, record)));
      }
    } finally {
      await view.close();
    }
  }
  return records.map((r) => {
    if (r.sealed?.kid !== SUBJECT_KEY_ID) return openDeadLetter(r, t.keyring);
    const ring = r.key === null ? undefined : bySubject?.get(r.key);
    if (ring === undefined) {
      throw new BeamlineError(
        GOVERNANCE_ERROR_CODES.decrypt,
        `dead letter ${r.messageId} is sealed under its data subject's key, which this namespace no longer holds (the subject was erased): its content cannot be opened`,
        { retriable: false },
      );
    }
    return openDeadLetter(r, ring);
  });
}

async function eventsRetentionMinutes(t: GdprTarget): Promise<number | null> {
  try {
    const policy =
      (await t.admin.topics.getRetention(namespaceTopic(t, 'events'))) ??
      (await t.admin.namespaces.getRetention(`${t.tenant}/${t.namespace}`));
    return policy === null ? 0 : policy.retentionTimeInMinutes;
  } catch {
    return null;
  }
}

/** Tombstones every `state` entry of the pseudonym, in the partition that holds it; how many. */
async function tombstoneState(t: GdprTarget, pseudonym: string): Promise<number> {
  const entries = await stateEntriesOf(t, pseudonym);
  // One producer per partition that holds any (a subject's state is usually in one).
  for (const topic of new Set(entries.map((e) => e.topic))) {
    const producer = await t.client.createProducer({ topic });
    try {
      for (const e of entries) if (e.topic === topic) await producer.send({ key: e.key, payload: Buffer.alloc(0), nullValue: true });
    } finally {
      await producer.close();
    }
  }
  return entries.length;
}

/** Everything the namespace holds about the subject, readable (right of access). */
export async function exportSubject(t: GdprTarget): Promise<SubjectExport> {
  const subject = await subjectKeyOf(t);
  if (subject === undefined) {
    return { found: false, pseudonym: null, state: [], topics: { predictions: [], actions: [], review: [], audit: [] }, deadLetters: [] };
  }
  const state = (await stateEntriesOf(t, subject.pseudonym)).map((e) => {
    const at = parseChangelogKey(e.key);
    return { store: at?.store ?? 'state', key: at?.key ?? e.key, value: decodeValue(e.value) };
  });
  const topics = { predictions: [] as unknown[], actions: [] as unknown[], review: [] as unknown[], audit: [] as unknown[] };
  for (const kind of ['predictions', 'actions', 'review', 'audit'] as const) {
    topics[kind] = await readKeyed(t, namespaceTopic(t, kind), subject.pseudonym);
  }
  const deadLetters: { record: DeadLetterRecord; content: DeadLetterContent | null }[] = [];
  for (const value of await readKeyed(t, namespaceTopic(t, 'dead-letter'), undefined)) {
    const record = value as DeadLetterRecord;
    if (record === null || typeof record !== 'object' || record.key !== subject.pseudonym) continue;
    deadLetters.push({ record, content: isEnvelope(record.sealed) ? openDeadLetter(record, subjectKeyring(subject.key)) : null });
  }
  return { found: true, pseudonym: subject.pseudonym, state, topics, deadLetters };
}

function decodeValue(b: Buffer): unknown {
  const text = b.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { base64: b.toString('base64') };
  }
}

/** The values of a topic's messages keyed `key` (every message when undefined), decoded. */
async function readKeyed(t: GdprTarget, topic: string, key: string | undefined): Promise<unknown[]> {
  const schema = await currentAvroSchema<unknown>(t.client, topic);
  const out: unknown[] = [];
  for (const part of await partitionsOf(t, topic)) {
    const reader = await t.client.createReader({ topic: part, startMessageId: 'earliest', receiverQueueSize: 1000 });
    try {
      while (await reader.hasMessageAvailable()) {
        const m = await reader.readNext(30_000);
        if (key !== undefined && m.key !== key) continue;
        try {
          out.push(schema === undefined ? decodeValue(m.payload) : schema.decode(m.payload));
        } catch {
          out.push({ base64: m.payload.toString('base64') });
        }
      }
    } finally {
      await reader.close();
    }
  }
  return out;
}

/**
 * The namespace's `audit` topic: one event per registry change, one per decision, one per review
 * outcome. Auditors read it to explain any decision; `compare` reads it to judge shadow and
 * canary models.
 *
 * On the wire every event is an `AuditEntry` envelope (at, actor, action, subject, detail), the
 * record tenant specs give the audit topic (tenants/acme-payments.yaml), with the full event as
 * JSON text in `detail`: Avro where the topic has that schema, JSON text where it has none.
 */
import { AuditChainWriter, type AuditSeal } from '../../governance/index.ts';
import { avroSchema, type Producer, type PulsarClient, type Schema } from '../../pulsar/index.ts';
import type { RolloutState } from './rollout.ts';

export const AUDIT_ENTRY_SCHEMA = Object.freeze({
  type: 'record',
  name: 'AuditEntry',
  namespace: 'dev.beamline',
  doc: 'One audit event: who did what to which subject, the full event as JSON in detail',
  fields: [
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'actor', type: 'string' },
    { name: 'action', type: 'string' },
    { name: 'subject', type: 'string' },
    { name: 'detail', type: ['null', 'string'], default: null },
  ],
});

export interface AuditEntry {
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly detail: string | null;
}

export type RegistryAuditType =
  'model-pushed' | 'promoted' | 'rolled-back' | 'shadow-set' | 'canary-set' | 'retired' | 'feature-schema-set';

export interface RegistryAuditEvent {
  readonly type: RegistryAuditType;
  readonly model: string;
  /** The version acted on (`null` for a cleared slot or a schema change). */
  readonly version: string | null;
  readonly percent?: number;
  /** The rollout after the change (absent for pushes and schema changes). */
  readonly rollout?: RolloutState;
  readonly sha256?: string;
  readonly actor: string;
  readonly atMs: number;
}

/** Per decision: enough to explain it later without the input topic. */
export interface DecisionAuditEvent {
  readonly type: 'decision';
  /** The input message id. */
  readonly traceId: string;
  /** The input event's id (its id field, else the message id). */
  readonly eventId: string;
  readonly key: string | null;
  /** The model's inputs: the features, computed from PII-tokenized fields. */
  readonly inputs: Readonly<Record<string, number>>;
  readonly output: {
    readonly decision: 'approve' | 'review' | 'block';
    readonly score: number | null;
    readonly fallbackReason: string | null;
  };
  readonly modelVersion: string | null;
  readonly policyVersion: string;
  readonly route: 'live' | 'canary' | null;
  readonly latencyMs: number | null;
  readonly shadow: {
    readonly modelVersion: string;
    readonly score: number;
    readonly decision: 'approve' | 'review' | 'block';
    readonly latencyMs: number;
  } | null;
  readonly eventTimeMs: number;
}

export type AuditEvent = RegistryAuditEvent | DecisionAuditEvent;

/** The envelope of an event; `detail` carries the whole event. */
export function auditEntry(at: number, actor: string, action: string, subject: string, event: object): AuditEntry {
  return { at, actor, action, subject, detail: JSON.stringify(event) };
}

const auditCodec = avroSchema<AuditEntry>(AUDIT_ENTRY_SCHEMA);

/**
 * The event in an audit message: an envelope as JSON text or Avro (its detail unwrapped), or a
 * bare JSON event. Undefined for anything else.
 */
export function decodeAuditPayload(payload: Buffer): AuditEvent | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(payload.toString('utf8'));
  } catch {
    try {
      entry = auditCodec.decode(payload);
    } catch {
      return undefined;
    }
  }
  if (entry === null || typeof entry !== 'object') return undefined;
  const e = entry as Partial<AuditEntry> & { type?: unknown };
  if (typeof e.detail === 'string' && typeof e.action === 'string') {
    try {
      const inner = JSON.parse(e.detail) as AuditEvent;
      return typeof inner === 'object' && inner !== null ? inner : undefined;
    } catch {
      return undefined;
    }
  }
  return typeof e.type === 'string' ? (entry as AuditEvent) : undefined;
}

/** Reads the whole audit topic (from the earliest retained event) up to its current end. */
export async function readAudit(client: PulsarClient, topic: string, options: { readTimeoutMs?: number } = {}): Promise<AuditEvent[]> {
  const reader = await client.createReader({ topic, startMessageId: 'earliest', receiverQueueSize: 1000 });
  const out: AuditEvent[] = [];
  try {
    while (await reader.hasMessageAvailable()) {
      const m = await reader.readNext(options.readTimeoutMs ?? 10_000);
      // Not ours (someone wrote another kind of event): skipped rather than failing the read.
      const e = decodeAuditPayload(m.payload);
      if (e !== undefined) out.push(e);
    }
  } finally {
    await reader.close();
  }
  return out;
}

/** A producer for a namespace topic that writes in the topic's registered schema, if any. */
export interface TopicWriter {
  readonly producer: Producer;
  /** Avro in the topic's schema when it has one (validation may be enforced), else JSON text. */
  encode(value: object): Buffer;
}

/**
 * Opens a producer declaring the topic's current schema: on a tenant's audit and review topics
 * schema validation is enforced, and the broker refuses producers without one.
 */
export async function openTopicWriter(client: Pick<PulsarClient, 'getSchema' | 'createProducer'>, topic: string): Promise<TopicWriter> {
  const schema = await currentAvroSchema<object>(client, topic);
  const producer = await client.createProducer({ topic, batching: false, ...(schema === undefined ? {} : { schema }) });
  return {
    producer,
    encode: (value) => (schema === undefined ? Buffer.from(JSON.stringify(value)) : schema.encode(value)),
  };
}

/** The topic's registered schema when it is Avro (undefined for none, another type, or no access). */
export async function currentAvroSchema<T>(client: Pick<PulsarClient, 'getSchema'>, topic: string): Promise<Schema<T> | undefined> {
  const current = await client.getSchema(topic).catch(() => undefined);
  return current !== undefined && current.info.type === 'AVRO' ? avroSchema<T>(current.info.data.toString('utf8')) : undefined;
}

/** #21: a writer of audit records that hash-chains them (see governance/audit-chain.ts). */
export interface AuditWriter {
  readonly producer: Producer;
  readonly writerId: string;
  /**
   * Links and sends one entry. Sends run one at a time, so the chain follows the topic's order;
   * a send that fails leaves the chain where it was (the next record links to the last one sent).
   */
  send(entry: AuditEntry, o: { key: string; eventTimeMs: number; properties?: Readonly<Record<string, string>> }): Promise<void>;
}

/** Opens an audit writer for `role` (`registry`, `review`) sealing with `seal`. */
export async function openAuditWriter(client: PulsarClient, topic: string, seal: AuditSeal, role: string): Promise<AuditWriter> {
  const w = await openTopicWriter(client, topic);
  const chain = new AuditChainWriter({ seal, role });
  let tail: Promise<void> = Promise.resolve();
  return {
    producer: w.producer,
    writerId: chain.writerId,
    send(entry, o) {
      const sent = tail.then(async () => {
        const payload = w.encode(entry);
        const [link] = chain.stage([{ key: o.key, payload }]);
        try {
          await w.producer.send({ key: o.key, payload, eventTimeMs: o.eventTimeMs, properties: { ...o.properties, ...link } });
          chain.commit();
        } catch (err) {
          chain.discard();
          throw err;
        }
      });
      tail = sent.catch(() => undefined);
      return sent;
    },
  };
}

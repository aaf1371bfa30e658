import avsc from 'avsc';
import { ConfigError } from '../../functions/index.ts';
import { parseTopicName, type PulsarAdmin } from '../../functions/control-plane.ts';

/** Pulsar's broker-wide default when a namespace leaves the strategy UNDEFINED. */
const BROKER_DEFAULT_STRATEGY = 'FULL';

export interface VersionVerdict {
  readonly version: number;
  /** The new schema can read data written with this version (backward). */
  readonly newReadsOld: boolean;
  /** Consumers on this version can read data written with the new schema (forward). */
  readonly oldReadsNew: boolean;
  readonly reason?: string;
}

export interface SchemaCheckResult {
  readonly topic: string;
  readonly strategy: string;
  readonly existingVersions: number;
  /** Verdict from avsc's resolver under the strategy, computed locally. */
  readonly localCompatible: boolean;
  readonly versions: readonly VersionVerdict[];
  /** Every registered version's readers can decode records written with the new schema. */
  readonly consumersCanRead: boolean;
  /** The broker's own answer from its compatibility endpoint (authoritative). */
  readonly broker: { readonly isCompatible: boolean; readonly strategy: string } | { readonly error: string };
  /** Would the broker accept an upload of this schema now. */
  readonly accepted: boolean;
}

/** Parse an .avsc text, failing with a ConfigError that says what is wrong. */
export function parseAvroSchema(text: string, field = 'schema'): avsc.Type {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(field, text, 'the .avsc file must be JSON', { cause });
  }
  try {
    return avsc.Type.forSchema(json as avsc.Schema);
  } catch (cause) {
    throw new ConfigError(field, text, `fix the Avro schema: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Would the broker accept `schemaText` for `topic` under its namespace strategy, and can the
 * consumers of every registered version read what producers of the new schema write?
 */
export async function checkTopicSchema(admin: PulsarAdmin, topic: string, schemaText: string): Promise<SchemaCheckResult> {
  const name = parseTopicName(topic, { allowBare: false });
  const candidate = parseAvroSchema(schemaText);
  const [rawStrategy, existing] = await Promise.all([
    admin.namespaces.getSchemaCompatibilityStrategy(`${name.tenant}/${name.namespace}`),
    admin.schemas.getAll(name.full),
  ]);
  const strategy = rawStrategy === 'UNDEFINED' || rawStrategy === '' ? BROKER_DEFAULT_STRATEGY : rawStrategy;

  const versions: VersionVerdict[] = existing
    .filter((s) => s.type === 'AVRO')
    .map((s, i) => {
      const old = avsc.Type.forSchema(JSON.parse(s.data) as avsc.Schema);
      const backward = canRead(candidate, old);
      const forward = canRead(old, candidate);
      const reason = backward.reason ?? forward.reason;
      return { version: s.version ?? i, newReadsOld: backward.ok, oldReadsNew: forward.ok, ...(reason === undefined ? {} : { reason }) };
    });
  const localCompatible = underStrategy(strategy, versions);
  const consumersCanRead = versions.every((v) => v.oldReadsNew);

  let broker: SchemaCheckResult['broker'];
  try {
    const r = await admin.schemas.checkCompatibility(name.full, { type: 'AVRO', data: JSON.stringify(JSON.parse(schemaText)) });
    broker = { isCompatible: r.isCompatible, strategy: r.schemaCompatibilityStrategy };
  } catch (err) {
    broker = { error: err instanceof Error ? err.message : String(err) };
  }
  const accepted = 'isCompatible' in broker ? broker.isCompatible : localCompatible;
  return { topic: name.full, strategy, existingVersions: existing.length, localCompatible, versions, consumersCanRead, broker, accepted };
}

function underStrategy(strategy: string, versions: readonly VersionVerdict[]): boolean {
  if (versions.length === 0) return true;
  const latest = versions.slice(-1);
  switch (strategy) {
    case 'ALWAYS_COMPATIBLE':
      return true;
    case 'ALWAYS_INCOMPATIBLE':
      return false;
    case 'BACKWARD':
      return latest.every((v) => v.newReadsOld);
    case 'FORWARD':
      return latest.every((v) => v.oldReadsNew);
    case 'FULL':
      return latest.every((v) => v.newReadsOld && v.oldReadsNew);
    case 'BACKWARD_TRANSITIVE':
      return versions.every((v) => v.newReadsOld);
    case 'FORWARD_TRANSITIVE':
      return versions.every((v) => v.oldReadsNew);
    case 'FULL_TRANSITIVE':
      return versions.every((v) => v.newReadsOld && v.oldReadsNew);
    default:
      return false;
  }
}

function canRead(reader: avsc.Type, writer: avsc.Type): { ok: boolean; reason?: string } {
  try {
    reader.createResolver(writer);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

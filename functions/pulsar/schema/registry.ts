/**
 * Writer schemas by topic and version, fetched once and cached. Every message carries the
 * `schema_version` it was written with; the consumer decodes it with that schema (resolved
 * against its own reader schema), so a topic holding v1 and v2 messages reads cleanly.
 */
import type { Schema } from './schema.ts';
import { schemaFromInfo } from './from-info.ts';
import type { SchemaInfo } from './schema-type.ts';

/** Asks the broker (GET_SCHEMA or the REST API) for a topic's schema at a version; latest when absent. */
export type SchemaFetcher = (topic: string, version: Buffer | undefined) => Promise<SchemaInfo | undefined>;

export interface SchemaRegistryOptions {
  fetch: SchemaFetcher;
  /** Entries kept before the oldest is dropped. @default 1024 */
  maxEntries?: number;
}

/** Pulsar's built-in registry versions are 8-byte big-endian counters. */
export function schemaVersionNumber(version: Buffer | undefined): number | undefined {
  if (version === undefined || version.length === 0) return undefined;
  return version.length === 8 ? Number(version.readBigInt64BE(0)) : undefined;
}

export function schemaVersionBytes(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b;
}

export class SchemaRegistry {
  readonly #fetch: SchemaFetcher;
  readonly #max: number;
  readonly #entries = new Map<string, Promise<SchemaInfo | undefined>>();

  constructor(options: SchemaRegistryOptions) {
    this.#fetch = options.fetch;
    this.#max = options.maxEntries ?? 1024;
  }

  /** The writer schema of a message; concurrent asks for the same version share one fetch. */
  writerSchema(topic: string, version: Buffer | undefined): Promise<SchemaInfo | undefined> {
    const id = `${baseTopic(topic)}@${version?.toString('hex') ?? 'latest'}`;
    let p = this.#entries.get(id);
    if (p === undefined) {
      p = this.#fetch(baseTopic(topic), version);
      // A failed fetch is not cached: the next message tries again.
      p.catch(() => this.#entries.delete(id));
      this.#entries.set(id, p);
      if (this.#entries.size > this.#max) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
    }
    return p;
  }

  /** Decodes with the reader schema, resolving from the writer's schema version. */
  async decode<T>(reader: Schema<T>, topic: string, version: Buffer | undefined, payload: Buffer): Promise<T> {
    const writer = version === undefined ? undefined : await this.writerSchema(topic, version);
    return reader.decode(payload, writer);
  }

  /** AUTO_CONSUME: decodes with whatever schema the message was written with. */
  async decodeAuto(topic: string, version: Buffer | undefined, payload: Buffer): Promise<unknown> {
    const writer = await this.writerSchema(topic, version);
    if (writer === undefined) return payload;
    return schemaFromInfo(writer).decode(payload, writer);
  }
}

/** Partitions share their parent's schema. */
function baseTopic(topic: string): string {
  return topic.replace(/-partition-\d+$/, '');
}

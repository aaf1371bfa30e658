import { PulsarAdminError, isAdminStatus } from './errors.ts';
import type { AdminHttp } from './http.ts';
import { parseTopicName } from '../topic/index.ts';
import { ADMIN_TOPIC } from './rest-path.ts';

export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF' | 'STRING' | 'BYTES' | 'NONE' | (string & {});

export interface SchemaInfo {
  version?: number;
  type: SchemaType;
  /** The schema definition; for AVRO the JSON text of the .avsc. */
  data: string;
  properties?: Record<string, string>;
  timestamp?: number;
}

export interface SchemaCompatibility {
  isCompatible: boolean;
  schemaCompatibilityStrategy: string;
  /** Why not, when the broker said so. */
  reason?: string;
}

interface PostSchemaPayload {
  type: SchemaType;
  schema: string;
  properties: Record<string, string>;
}

export class SchemasApi {
  readonly #http: AdminHttp;
  constructor(http: AdminHttp) {
    this.#http = http;
  }

  #p(topic: string, suffix: string): string {
    const t = parseTopicName(topic, ADMIN_TOPIC);
    const e = encodeURIComponent;
    return `/admin/v2/schemas/${e(t.tenant)}/${e(t.namespace)}/${e(t.local)}${suffix}`;
  }

  /** Latest schema, or null when the topic has none. */
  async get(topic: string): Promise<SchemaInfo | null> {
    try {
      const r = await this.#http.request<{
        version: number;
        type: SchemaType;
        data: string;
        properties?: Record<string, string>;
        timestamp?: number;
      }>('GET', this.#p(topic, '/schema'));
      return r;
    } catch (err) {
      if (isAdminStatus(err, 404)) return null;
      throw err;
    }
  }
  /** One stored version, or null when the topic has no such version. */
  async getVersion(topic: string, version: number): Promise<SchemaInfo | null> {
    try {
      return await this.#http.request<SchemaInfo>('GET', this.#p(topic, `/schema/${version}`));
    } catch (err) {
      if (isAdminStatus(err, 404)) return null;
      throw err;
    }
  }

  /** Every stored version, oldest first; empty when none. */
  async getAll(topic: string): Promise<SchemaInfo[]> {
    try {
      const r = await this.#http.request<{ getSchemaResponses: SchemaInfo[] }>('GET', this.#p(topic, '/schemas'));
      return r.getSchemaResponses;
    } catch (err) {
      if (isAdminStatus(err, 404)) return [];
      throw err;
    }
  }
  /** Upload a new version; the broker refuses (409) one that breaks the compatibility strategy. */
  async post(topic: string, schema: { type: SchemaType; data: string; properties?: Record<string, string> }): Promise<{ version: number }> {
    const payload: PostSchemaPayload = { type: schema.type, schema: schema.data, properties: schema.properties ?? {} };
    const r = await this.#http.request<{ version: { version: number } | number }>('POST', this.#p(topic, '/schema'), { body: payload });
    const v = r.version;
    return { version: typeof v === 'number' ? v : v.version };
  }
  /**
   * Would the broker accept this schema under the namespace's strategy? Pulsar 4.0 answers an
   * incompatible schema with an error (500) rather than `isCompatible: false`; both come back
   * here as `isCompatible: false` with the broker's reason.
   */
  async checkCompatibility(
    topic: string,
    schema: { type: SchemaType; data: string; properties?: Record<string, string> },
  ): Promise<SchemaCompatibility> {
    const payload: PostSchemaPayload = { type: schema.type, schema: schema.data, properties: schema.properties ?? {} };
    try {
      // The broker names the field `compatibility`; older docs say `isCompatible`.
      const r = await this.#http.request<{ compatibility?: boolean; isCompatible?: boolean; schemaCompatibilityStrategy: string }>(
        'POST',
        this.#p(topic, '/compatibility'),
        { body: payload },
      );
      return { isCompatible: r.compatibility ?? r.isCompatible ?? false, schemaCompatibilityStrategy: r.schemaCompatibilityStrategy };
    } catch (err) {
      if (
        err instanceof PulsarAdminError &&
        (err.status === 409 || err.status === 500) &&
        /Incompatible|compatibility check/i.test(err.reason ?? '')
      ) {
        const strategy = /with strategy (\w+)/.exec(err.reason ?? '')?.[1] ?? 'UNKNOWN';
        return { isCompatible: false, schemaCompatibilityStrategy: strategy, ...(err.reason === undefined ? {} : { reason: err.reason }) };
      }
      throw err;
    }
  }
  async delete(topic: string, options: { force?: boolean } = {}): Promise<void> {
    return this.#http.request('DELETE', this.#p(topic, '/schema'), { query: { force: options.force } });
  }
}

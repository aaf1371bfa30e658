/**
 * Schemas on the binary protocol: the `Schema` a producer or consumer declares in
 * PRODUCER/SUBSCRIBE, GET_SCHEMA (writer schemas by version, as a SchemaFetcher for the
 * SchemaRegistry) and GET_OR_CREATE_SCHEMA, and the typed error for a schema the broker refuses.
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';
import { SCHEMA_TYPES, schemaTypeName, type SchemaFetcher, type SchemaInfo } from '../schema/index.ts';
import { CommandType, type SchemaData } from '../wire/index.ts';
import type { ClientContext } from './context.ts';

/** The wire `Schema`; undefined for plain bytes, which brokers treat as "no schema". */
export function toSchemaData(info: SchemaInfo | undefined): SchemaData | undefined {
  if (info === undefined || info.type === 'NONE') return undefined;
  const data: SchemaData = { name: info.name, schema_data: info.data, type: SCHEMA_TYPES[info.type] };
  const keys = Object.keys(info.properties);
  if (keys.length > 0) data.properties = keys.map((key) => ({ key, value: String(info.properties[key]) }));
  return data;
}

export function fromSchemaData(d: SchemaData): SchemaInfo {
  const type = schemaTypeName(d.type) ?? 'NONE';
  const properties: Record<string, string> = {};
  for (const kv of d.properties ?? []) properties[kv.key] = kv.value;
  return { name: d.name, type, data: d.schema_data, properties };
}

/**
 * An IncompatibleSchema refusal, naming the topic and the namespace's compatibility strategy
 * when the broker's message says it (Pulsar prints e.g. `... with strategy BACKWARD`).
 */
export function incompatibleSchemaError(cause: unknown, topic: string, info: SchemaInfo | undefined): unknown {
  if (!(cause instanceof BeamlineError) || cause.code !== PULSAR_ERROR_CODES.incompatibleSchema) return cause;
  const text = cause.message;
  const m = /\b(ALWAYS_INCOMPATIBLE|ALWAYS_COMPATIBLE|BACKWARD_TRANSITIVE|FORWARD_TRANSITIVE|FULL_TRANSITIVE|BACKWARD|FORWARD|FULL)\b/.exec(
    text,
  );
  const strategy = m?.[1] ?? 'unknown (see the namespace schema-compatibility-strategy)';
  return new BeamlineError(
    PULSAR_ERROR_CODES.incompatibleSchema,
    `the broker refused the ${info?.type ?? ''} schema for ${topic}: incompatible with the topic's schema under compatibility strategy ${strategy}`,
    { retriable: false, cause, details: { topic, strategy, schemaType: info?.type, broker: text } },
  );
}

/** GET_SCHEMA on the topic's broker: the schema at `version` (latest when undefined); undefined if none. */
export async function getSchema(
  ctx: ClientContext,
  topic: string,
  version: Buffer | undefined,
): Promise<{ info: SchemaInfo; version: Buffer | undefined } | undefined> {
  const { logicalUrl, physicalUrl } = await ctx.lookup.lookup(topic);
  const conn = await ctx.pool.get(logicalUrl, physicalUrl);
  const rid = conn.newRequestId();
  const cmd: { request_id: number; topic: string; schema_version?: Buffer } = { request_id: rid, topic };
  if (version !== undefined) cmd.schema_version = version;
  try {
    const resp = await conn.request({ type: CommandType.GET_SCHEMA, getSchema: cmd }, rid, 'get schema');
    const r = resp.getSchemaResponse;
    if (r?.schema === undefined) return undefined;
    return { info: fromSchemaData(r.schema), version: r.schema_version };
  } catch (err) {
    // The broker answers TopicNotFound when the topic (or that version) has no schema.
    if (err instanceof BeamlineError && err.code === PULSAR_ERROR_CODES.topicNotFound) return undefined;
    throw err;
  }
}

/** GET_OR_CREATE_SCHEMA: registers `info` on the topic if compatible; resolves with its version. */
export async function getOrCreateSchema(ctx: ClientContext, topic: string, info: SchemaInfo): Promise<Buffer> {
  const data = toSchemaData(info);
  if (data === undefined)
    throw new BeamlineError(PULSAR_ERROR_CODES.schemaNone, 'plain bytes have no schema to register', { details: { topic } });
  const { logicalUrl, physicalUrl } = await ctx.lookup.lookup(topic);
  const conn = await ctx.pool.get(logicalUrl, physicalUrl);
  const rid = conn.newRequestId();
  try {
    const resp = await conn.request(
      { type: CommandType.GET_OR_CREATE_SCHEMA, getOrCreateSchema: { request_id: rid, topic, schema: data } },
      rid,
      'get or create schema',
    );
    return resp.getOrCreateSchemaResponse?.schema_version ?? Buffer.alloc(0);
  } catch (err) {
    throw incompatibleSchemaError(err, topic, info);
  }
}

/** A SchemaFetcher over GET_SCHEMA for the SchemaRegistry (writer schemas by version). */
export function binarySchemaFetcher(ctx: ClientContext): SchemaFetcher {
  return async (topic, version) => (await getSchema(ctx, topic, version))?.info;
}

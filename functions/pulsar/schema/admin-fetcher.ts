/**
 * A SchemaFetcher over the admin REST API: writer schemas by version for the registry.
 * (The binary protocol's GET_SCHEMA would also do; REST is what every cluster exposes to the
 * worker's role and needs no extra connection.)
 */
import type { SchemasApi, SchemaInfo as AdminSchemaInfo } from '../admin/schemas.ts';
import type { SchemaFetcher } from './registry.ts';
import { schemaVersionNumber } from './registry.ts';
import type { SchemaInfo, SchemaTypeName } from './schema-type.ts';

export function adminSchemaFetcher(schemas: Pick<SchemasApi, 'get' | 'getVersion'>): SchemaFetcher {
  return async (topic, version) => {
    const n = schemaVersionNumber(version);
    const info = n === undefined ? await schemas.get(topic) : await schemas.getVersion(topic, n);
    return info === null ? undefined : fromAdmin(info);
  };
}

export function fromAdmin(info: AdminSchemaInfo): SchemaInfo {
  const type = (info.type === 'BYTES' ? 'NONE' : info.type) as SchemaTypeName;
  return {
    name: type,
    type,
    data: Buffer.from(info.data ?? '', 'utf8'),
    properties: { ...(info.properties ?? {}) },
  };
}

export { checkTopicSchema, parseAvroSchema } from './check.ts';
export type { SchemaCheckResult, VersionVerdict } from './check.ts';

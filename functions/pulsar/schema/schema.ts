import type { SchemaInfo } from './schema-type.ts';

/**
 * A schema turns values into message payloads and back. `decode` may be given the writer's
 * schema (what the message was produced with), so an evolved reader can read old messages.
 */
export interface Schema<T> {
  readonly info: SchemaInfo;
  encode(value: T): Buffer;
  decode(payload: Buffer, writer?: SchemaInfo): T;
}

/**
 * Values cross the changelog as bytes. An empty payload is reserved for the tombstone (delete),
 * so a serde must never produce zero bytes for a real value.
 */
import { BeamlineError } from '../errors.ts';
import { parseJson, stringifyJson } from '../json.ts';
import { STATE_ERROR_CODES } from './errors.ts';

export interface Serde<V> {
  serialize(value: V): Uint8Array;
  deserialize(bytes: Uint8Array): V;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON as UTF-8. Values must survive a JSON round trip: no undefined, functions, Maps, Sets or
 * non-finite numbers (they would come back different after a restore). A bigint is written as an
 * exact JSON number and comes back as a bigint when it is beyond ±(2^53-1) (an Avro `long` that
 * big), as a number otherwise.
 */
export function jsonSerde<V>(): Serde<V> {
  return {
    serialize(value: V): Uint8Array {
      let text: string | undefined;
      try {
        text = stringifyJson(value);
      } catch (cause) {
        throw new BeamlineError(STATE_ERROR_CODES.serializeFailed, 'state value cannot be serialized as JSON', { cause });
      }
      if (text === undefined) {
        throw new BeamlineError(STATE_ERROR_CODES.serializeFailed, 'state value cannot be serialized as JSON', {
          details: { type: typeof value },
        });
      }
      return encoder.encode(text);
    },
    deserialize(bytes: Uint8Array): V {
      try {
        return parseJson(decoder.decode(bytes)) as V;
      } catch (cause) {
        throw new BeamlineError(STATE_ERROR_CODES.deserializeFailed, 'state value is not valid UTF-8 JSON', {
          cause,
          details: { bytes: bytes.byteLength },
        });
      }
    },
  };
}

import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';

/** A payload that does not match its schema: never retriable, it goes to the dead-letter topic. */
export class SchemaDecodeError extends BeamlineError {
  constructor(message: string, details: Record<string, unknown>, cause?: unknown) {
    super(PULSAR_ERROR_CODES.schemaDecode, message, { retriable: false, cause, details });
  }
}

/** A value that cannot be encoded with the producer's schema. */
export class SchemaEncodeError extends BeamlineError {
  constructor(message: string, details: Record<string, unknown>, cause?: unknown) {
    super(PULSAR_ERROR_CODES.schemaEncode, message, { retriable: false, cause, details });
  }
}

/** A schema definition that cannot be used at all (bad Avro, unknown type). */
export class SchemaDefinitionError extends BeamlineError {
  constructor(message: string, details: Record<string, unknown>, cause?: unknown) {
    super(PULSAR_ERROR_CODES.schemaDefinition, message, { retriable: false, cause, details });
  }
}

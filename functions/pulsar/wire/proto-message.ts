/**
 * Message tables for Beamline's proto2 codec: a message is a list of (name, number, kind) fields
 * (see the *-commands.ts and common-messages.ts tables). Hand-written instead of protobufjs
 * reflection because the hot commands (SEND, MESSAGE, ACK) are tiny and a table walk with a
 * reused write buffer is faster than reflection, and because 64-bit ids must stay exact:
 * `u64`/`i64` fields decode to bigint, `u64n` fields (ids this client allocates) to number.
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';

export type FieldKind = 'uint32' | 'int32' | 'enum' | 'bool' | 'u64' | 'i64' | 'u64n' | 'i64n' | 'string' | 'bytes' | 'double' | 'message';

export interface FieldDef {
  readonly name: string;
  readonly no: number;
  readonly kind: FieldKind;
  readonly repeated: boolean;
  /** For kind 'message': the nested table, resolved lazily so tables can refer to each other. */
  readonly msg: (() => MessageDef) | undefined;
}

export interface MessageDef {
  readonly name: string;
  readonly fields: readonly FieldDef[];
  /** Field by number; sparse. */
  readonly byNo: readonly (FieldDef | undefined)[];
}

type FieldSpec = readonly [name: string, no: number, kind: FieldKind, opts?: { repeated?: boolean; msg?: () => MessageDef }];

export function defineMessage(name: string, specs: readonly FieldSpec[]): MessageDef {
  const fields: FieldDef[] = specs.map(([fname, no, kind, opts]) => ({
    name: fname,
    no,
    kind,
    repeated: opts?.repeated ?? false,
    msg: opts?.msg,
  }));
  const byNo: (FieldDef | undefined)[] = [];
  for (const f of fields) byNo[f.no] = f;
  return { name, fields, byNo };
}

export function wireTypeOf(kind: FieldKind): number {
  switch (kind) {
    case 'string':
    case 'bytes':
    case 'message':
      return 2;
    case 'double':
      return 1;
    default:
      return 0;
  }
}

export function protoError(message: string, details?: Record<string, unknown>): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.protocolDecode, message, { retriable: false, details });
}

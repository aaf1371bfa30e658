/**
 * A small proto2 codec driven by field tables (see pulsar-api.ts). Hand-written instead of
 * protobufjs reflection because the hot commands (SEND, MESSAGE, ACK) are tiny and a table walk
 * with a reused write buffer is faster than reflection, and because 64-bit ids must stay exact:
 * `u64`/`i64` fields decode to bigint, `u64n` fields (ids this client allocates) to number.
 */
import { BeamlineError } from '../../errors.ts';

export type FieldKind =
  | 'uint32'
  | 'int32'
  | 'enum'
  | 'bool'
  | 'u64'
  | 'i64'
  | 'u64n'
  | 'i64n'
  | 'string'
  | 'bytes'
  | 'double'
  | 'message';

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

const TWO_32 = 4294967296;
const U64_MASK = (1n << 64n) - 1n;

function wireTypeOf(kind: FieldKind): number {
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

function protoError(message: string, details?: Record<string, unknown>): BeamlineError {
  return new BeamlineError('BL_PULSAR_PROTOCOL_DECODE', message, { retriable: false, details });
}

/** Growable write buffer, reused across encodes (callers copy the bytes out). */
export class ProtoWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  reset(): void {
    this.pos = 0;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned varint of a non-negative safe integer. */
  varint(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    if (v < 0x80000000) {
      while (v > 0x7f) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[p++] = v;
    } else {
      while (v > 0x7f) {
        b[p++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      b[p++] = v;
    }
    this.pos = p;
  }

  /** Varint of a 64-bit value given as bigint (negative means two's complement). */
  varint64(v: bigint): void {
    if (v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
      this.varint(Number(v));
      return;
    }
    let u = v & U64_MASK;
    this.ensure(10);
    while (u > 0x7fn) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  /** int32 semantics: negatives are sign-extended to ten bytes. */
  int32(v: number): void {
    if (v >= 0) this.varint(v);
    else this.varint64(BigInt(v));
  }

  tag(no: number, wire: number): void {
    this.varint((no << 3) | wire);
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  string(s: string): void {
    // Fast path: reserve the worst case (3 bytes per UTF-16 unit) and back-patch the length.
    const max = s.length * 3;
    if (max < 128) {
      this.ensure(1 + max);
      const start = this.pos + 1;
      const n = this.buf.write(s, start, 'utf8');
      this.buf[this.pos] = n;
      this.pos = start + n;
      return;
    }
    this.bytes(Buffer.from(s, 'utf8'));
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** Copy of what was written. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }
}

function writeScalar(w: ProtoWriter, f: FieldDef, v: unknown): void {
  switch (f.kind) {
    case 'uint32':
    case 'enum':
    case 'u64n':
      w.tag(f.no, 0);
      w.varint(v as number);
      return;
    case 'int32':
      w.tag(f.no, 0);
      w.int32(v as number);
      return;
    case 'i64n':
      w.tag(f.no, 0);
      if ((v as number) >= 0) w.varint(v as number);
      else w.varint64(BigInt(v as number));
      return;
    case 'bool':
      w.tag(f.no, 0);
      w.varint(v ? 1 : 0);
      return;
    case 'u64':
    case 'i64':
      w.tag(f.no, 0);
      w.varint64(typeof v === 'bigint' ? v : BigInt(v as number));
      return;
    case 'string':
      w.tag(f.no, 2);
      w.string(v as string);
      return;
    case 'bytes':
      w.tag(f.no, 2);
      w.bytes(typeof v === 'string' ? Buffer.from(v, 'utf8') : (v as Uint8Array));
      return;
    case 'double':
      w.tag(f.no, 1);
      w.double(v as number);
      return;
    case 'message': {
      w.tag(f.no, 2);
      // Reserve one length byte; most nested messages here are < 128 bytes. Shift when larger.
      const lenAt = w.pos;
      w.ensure(1);
      w.pos += 1;
      encodeInto(w, (f.msg as () => MessageDef)(), v as Record<string, unknown>);
      const len = w.pos - lenAt - 1;
      if (len < 128) {
        w.buf[lenAt] = len;
      } else {
        let extra = 0;
        for (let l = len; l > 0x7f; l = Math.floor(l / 128)) extra++;
        w.ensure(extra);
        w.buf.copy(w.buf, lenAt + 1 + extra, lenAt + 1, w.pos);
        const end = w.pos + extra;
        w.pos = lenAt;
        w.varint(len);
        w.pos = end;
      }
      return;
    }
  }
}

/** Append `value` encoded as message `def` (no length prefix). */
export function encodeInto(w: ProtoWriter, def: MessageDef, value: Record<string, unknown>): void {
  const fields = def.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as FieldDef;
    const v = value[f.name];
    if (v === undefined || v === null) continue;
    if (f.repeated) {
      const arr = v as readonly unknown[];
      for (let j = 0; j < arr.length; j++) writeScalar(w, f, arr[j]);
    } else {
      writeScalar(w, f, v);
    }
  }
}

const shared = new ProtoWriter(4096);

/** Encode to a fresh Buffer. */
export function encodeMessage(def: MessageDef, value: object): Buffer {
  shared.reset();
  encodeInto(shared, def, value as Record<string, unknown>);
  return shared.finish();
}

/** Cursor over protobuf bytes. */
export class ProtoReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Varint as a number; exact up to 2^53 (larger values lose precision, use varint64). */
  varint(): number {
    const b = this.buf;
    let p = this.pos;
    let byte = b[p++] as number;
    let v = byte & 0x7f;
    if (byte < 0x80) {
      this.pos = p;
      return v;
    }
    let shift = 7;
    let mul = 128;
    for (;;) {
      if (p >= this.end) throw protoError('truncated varint');
      byte = b[p++] as number;
      if (shift < 28) v |= (byte & 0x7f) << shift;
      else v += (byte & 0x7f) * mul;
      if (byte < 0x80) break;
      shift += 7;
      mul *= 128;
      if (shift > 63) throw protoError('varint too long');
    }
    this.pos = p;
    return v;
  }

  /** Low 32 bits of a varint as a signed int32 (negative int32s arrive as ten-byte varints). */
  int32(): number {
    const b = this.buf;
    let p = this.pos;
    let v = 0;
    let shift = 0;
    let byte: number;
    do {
      if (p >= this.end) throw protoError('truncated varint');
      byte = b[p++] as number;
      if (shift < 32) v |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte >= 0x80);
    this.pos = p;
    return v | 0;
  }

  /** Varint as an exact unsigned 64-bit bigint. */
  varint64(): bigint {
    const b = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    let byte: number;
    // Low 28 bits, then the rest into hi (bits 28..63).
    do {
      if (p >= this.end) throw protoError('truncated varint');
      byte = b[p++] as number;
      if (shift < 28) lo |= (byte & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (byte & 0x0f) << 28;
        hi = (byte & 0x7f) >>> 4;
      } else hi |= (byte & 0x7f) << (shift - 32);
      shift += 7;
      if (shift > 70) throw protoError('varint too long');
    } while (byte >= 0x80);
    this.pos = p;
    lo >>>= 0;
    hi >>>= 0;
    if (hi < 0x200000) return BigInt(hi * TWO_32 + lo);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        while (((this.buf[this.pos++] as number) & 0x80) !== 0) {
          if (this.pos > this.end) throw protoError('truncated varint');
        }
        return;
      case 1:
        this.pos += 8;
        return;
      case 2: {
        const n = this.varint();
        this.pos += n;
        return;
      }
      case 5:
        this.pos += 4;
        return;
      default:
        throw protoError('unsupported wire type', { wire });
    }
  }
}

function readValue(r: ProtoReader, f: FieldDef): unknown {
  switch (f.kind) {
    case 'uint32':
    case 'enum':
    case 'u64n':
      return r.varint();
    case 'int32':
      return r.int32();
    case 'i64n': {
      const v = r.varint64();
      return Number(BigInt.asIntN(64, v));
    }
    case 'bool':
      return r.varint() !== 0;
    case 'u64':
      return r.varint64();
    case 'i64':
      return BigInt.asIntN(64, r.varint64());
    case 'string': {
      const n = r.varint();
      const start = r.pos;
      r.pos += n;
      if (r.pos > r.end) throw protoError('truncated string', { field: f.name });
      return Buffer.from(r.buf.buffer, r.buf.byteOffset + start, n).toString('utf8');
    }
    case 'bytes': {
      const n = r.varint();
      const start = r.pos;
      r.pos += n;
      if (r.pos > r.end) throw protoError('truncated bytes', { field: f.name });
      return Buffer.from(r.buf.buffer, r.buf.byteOffset + start, n);
    }
    case 'double': {
      const v = Buffer.from(r.buf.buffer, r.buf.byteOffset, r.buf.byteLength).readDoubleLE(r.pos);
      r.pos += 8;
      return v;
    }
    case 'message': {
      const n = r.varint();
      const start = r.pos;
      r.pos += n;
      if (r.pos > r.end) throw protoError('truncated message', { field: f.name });
      return decodeRange((f.msg as () => MessageDef)(), r.buf, start, start + n);
    }
  }
}

function decodeRange(def: MessageDef, buf: Uint8Array, start: number, end: number): Record<string, unknown> {
  const r = new ProtoReader(buf, start, end);
  const out: Record<string, unknown> = {};
  const byNo = def.byNo;
  while (r.pos < end) {
    const tag = r.varint();
    const no = tag >>> 3;
    const wire = tag & 7;
    const f = no < byNo.length ? byNo[no] : undefined;
    if (f === undefined) {
      r.skip(wire);
      continue;
    }
    if (f.repeated) {
      let arr = out[f.name] as unknown[] | undefined;
      if (arr === undefined) {
        arr = [];
        out[f.name] = arr;
      }
      // Packed encoding of a repeated scalar (allowed on the wire even for proto2).
      if (wire === 2 && wireTypeOf(f.kind) === 0) {
        const n = r.varint();
        const stop = r.pos + n;
        const inner = new ProtoReader(buf, r.pos, stop);
        while (inner.pos < stop) arr.push(readValue(inner, f));
        r.pos = stop;
      } else {
        arr.push(readValue(r, f));
      }
    } else {
      if (wire !== wireTypeOf(f.kind)) throw protoError('wire type mismatch', { field: f.name, wire });
      out[f.name] = readValue(r, f);
    }
  }
  if (r.pos !== end) throw protoError('message overran its length', { message: def.name });
  return out;
}

export function decodeMessage<T>(def: MessageDef, buf: Uint8Array, start = 0, end = buf.length): T {
  return decodeRange(def, buf, start, end) as T;
}

/** Decoding side of the proto2 codec: unknown fields are skipped, 64-bit ids stay exact. */
import { protoError, wireTypeOf, type FieldDef, type MessageDef } from './proto-message.ts';

const TWO_32 = 4294967296;

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

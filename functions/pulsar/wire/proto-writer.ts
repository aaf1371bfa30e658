/**
 * Encoding side of the protobuf codec: a growable, reused write buffer walked by message tables
 * (the Pulsar wire protocol), with field-level builders for hand-written encoders (the ONNX model
 * writer in functions/inference imports it through `@beamline/pulsar/protobuf`).
 */
import type { FieldDef, MessageDef } from './proto-message.ts';

const U64_MASK = (1n << 64n) - 1n;

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

  /** A length-delimited value without its tag. */
  lengthDelimited(data: Uint8Array): void {
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** A length-delimited UTF-8 string without its tag. */
  utf8(s: string): void {
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
    this.lengthDelimited(Buffer.from(s, 'utf8'));
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  // Field-level builders (tag + value), chainable. proto3 style: repeated scalars are packed.

  /** int32 / int64 / enum / bool field; negatives are 64-bit two's complement (ten bytes). */
  int(field: number, value: number | bigint): this {
    this.tag(field, 0);
    if (typeof value === 'bigint') {
      this.varint64(value);
    } else {
      const v = Math.trunc(value);
      if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) this.varint(v);
      else this.varint64(BigInt(v));
    }
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    this.ensure(4);
    this.buf.writeFloatLE(value, this.pos);
    this.pos += 4;
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.lengthDelimited(value);
    return this;
  }

  string(field: number, value: string): this {
    this.tag(field, 2);
    this.utf8(value);
    return this;
  }

  /** A nested message built by `build` on a fresh writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter(64);
    build(inner);
    return this.bytes(field, inner.buf.subarray(0, inner.pos));
  }

  /** Packed repeated varints. */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter(64);
    for (const v of values) {
      if (typeof v === 'bigint') inner.varint64(v);
      else {
        const t = Math.trunc(v);
        if (t >= 0 && t <= Number.MAX_SAFE_INTEGER) inner.varint(t);
        else inner.varint64(BigInt(t));
      }
    }
    return this.bytes(field, inner.buf.subarray(0, inner.pos));
  }

  /** Packed repeated 32-bit floats. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    this.tag(field, 2);
    this.varint(values.length * 4);
    this.ensure(values.length * 4);
    for (let i = 0; i < values.length; i++) {
      this.buf.writeFloatLE(values[i] ?? 0, this.pos);
      this.pos += 4;
    }
    return this;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
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
      w.utf8(v as string);
      return;
    case 'bytes':
      w.tag(f.no, 2);
      w.lengthDelimited(typeof v === 'string' ? Buffer.from(v, 'utf8') : (v as Uint8Array));
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

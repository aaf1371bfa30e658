/**
 * The write half of Apache Thrift's compact protocol, as much as Parquet's metadata needs: structs
 * of i32, i64, binary/string, list and nested struct fields. Parquet's file footer and page
 * headers are Thrift structs in this encoding (parquet-format, `parquet.thrift`).
 *
 * A struct is written field by field in ascending id order; a field whose value is undefined is
 * left out (Thrift's optional). Integers are zigzag varints; a field header is one byte when the
 * id grows by 1..15 (delta << 4 | type), else the type byte and the id as a zigzag varint.
 */

/** Compact protocol type ids. */
const T = Object.freeze({ TRUE: 1, FALSE: 2, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 });

/** A field value: what it is tells the writer its Thrift type. */
export type ThriftValue =
  | { readonly i32: number }
  | { readonly i64: number | bigint }
  | { readonly bool: boolean }
  | { readonly binary: string | Uint8Array }
  | { readonly struct: ThriftStruct }
  | { readonly list: ThriftList };

/** Fields by id; undefined ones are not written. */
export type ThriftStruct = ReadonlyArray<readonly [id: number, value: ThriftValue | undefined]>;

export type ThriftList =
  | { readonly i32: readonly number[] }
  | { readonly binary: readonly (string | Uint8Array)[] }
  | { readonly struct: readonly ThriftStruct[] };

export class CompactWriter {
  #buf = Buffer.alloc(256);
  #len = 0;

  /** The bytes written so far (a copy). */
  bytes(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len));
  }

  struct(fields: ThriftStruct): this {
    let last = 0;
    for (const [id, value] of [...fields].sort((a, b) => a[0] - b[0])) {
      if (value === undefined) continue;
      const type = typeOf(value);
      const delta = id - last;
      if (delta > 0 && delta <= 15) this.#byte((delta << 4) | type);
      else {
        this.#byte(type);
        this.#varint(zigzag(BigInt(id)));
      }
      last = id;
      this.#value(value);
    }
    this.#byte(0); // STOP
    return this;
  }

  #value(v: ThriftValue): void {
    if ('i32' in v) this.#varint(zigzag(BigInt(v.i32)));
    else if ('i64' in v) this.#varint(zigzag(BigInt(v.i64)));
    else if ('bool' in v)
      return; // the value is in the field header's type
    else if ('binary' in v) this.#binary(v.binary);
    else if ('struct' in v) this.struct(v.struct);
    else this.#list(v.list);
  }

  #list(l: ThriftList): void {
    const [type, items] = 'i32' in l ? [T.I32, l.i32] : 'binary' in l ? [T.BINARY, l.binary] : ([T.STRUCT, l.struct] as const);
    if (items.length < 15) this.#byte((items.length << 4) | type);
    else {
      this.#byte(0xf0 | type);
      this.#varint(BigInt(items.length));
    }
    if ('i32' in l) for (const x of l.i32) this.#varint(zigzag(BigInt(x)));
    else if ('binary' in l) for (const x of l.binary) this.#binary(x);
    else for (const s of l.struct) this.struct(s);
  }

  #binary(v: string | Uint8Array): void {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    this.#varint(BigInt(b.length));
    this.#ensure(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  #varint(n: bigint): void {
    do {
      let byte = Number(n & 0x7fn);
      n >>= 7n;
      if (n !== 0n) byte |= 0x80;
      this.#byte(byte);
    } while (n !== 0n);
  }

  #byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.#len++] = b;
  }

  #ensure(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
}

function typeOf(v: ThriftValue): number {
  if ('i32' in v) return T.I32;
  if ('i64' in v) return T.I64;
  if ('bool' in v) return v.bool ? T.TRUE : T.FALSE;
  if ('binary' in v) return T.BINARY;
  if ('struct' in v) return T.STRUCT;
  return T.LIST;
}

/** Zigzag for 64-bit signed values: 0, -1, 1, -2 ... -> 0, 1, 2, 3 ... */
function zigzag(n: bigint): bigint {
  return n >= 0n ? n << 1n : (-n << 1n) - 1n;
}

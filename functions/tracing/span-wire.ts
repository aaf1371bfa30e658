/**
 * Span records as bytes, for the trip to the export thread (#22).
 *
 * Why not JSON: `JSON.stringify` of a chunk of records was the largest single cost tracing put on
 * the worker's event loop (about 2.1 µs a span, in the CPU profile of the in-memory worker at 10%
 * sampling), and posting the resulting string copied it once more (about 1 µs a span). Here a
 * record is written field by field into a buffer as it ends (so it dies young, no chunk of records
 * outlives a scavenge), and the buffer's memory is transferred to the thread, not copied: about
 * 1.2 µs a span in all on the same records (`npm run bench -- worker` gives the worker's figure).
 *
 * Repeated strings go by number: span names and attribute keys are numbered per writer as first
 * seen and their text sent once, before the first chunk that uses them (bounded: after MAX_NAMES
 * each, new ones travel inline), as frozen attribute sets do (attribute-sets.ts).
 *
 * Layout of one record (little-endian; `str` is a u32 byte length and UTF-8, `name` a u16 number
 * or 0xffff and a `str`, `ascii` a u8 length and one byte a character):
 *   name n; u8 kind; u8 flags (1 parent is remote, 2 has x, 4 has status message); u8 status code;
 *   f64 start µs; f64 end µs; i32 x; ascii t; ascii s; ascii p; str ts; [str m];
 *   u32 links, each: ascii trace id, ascii span id, str trace state, u8 sampled;
 *   u16 attributes, each: name key, u8 tag (1 number f64, 2 string str, 3 true, 4 false, 5 an
 *   array as JSON text str), value.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { SpanRecord } from './span-record.ts';

/** Distinct names (and, apart, attribute keys) numbered per writer; later ones travel inline. */
export const MAX_NAMES = 4096;
const INLINE = 0xffff;

const FLAG_REMOTE_PARENT = 1;
const FLAG_SET = 2;
const FLAG_MESSAGE = 4;

const TAG_NUMBER = 1;
const TAG_STRING = 2;
const TAG_TRUE = 3;
const TAG_FALSE = 4;
const TAG_JSON = 5;

/** A record's fixed header after its name: kind, flags, status, start, end, set number. */
const HEADER_BYTES = 3 + 8 + 8 + 4;
/** The header and the three ids after it (each at most a length byte and 255 digits). */
const HEADER_AND_IDS_BYTES = HEADER_BYTES + 3 * 256;

/** A chunk of written records and the strings numbered since the last chunk. */
export interface WireChunk {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly count: number;
  /** Span names numbered since the last chunk, in number order. */
  readonly names: readonly string[];
  /** Attribute keys numbered since the last chunk, in number order. */
  readonly keys: readonly string[];
}

class Numbering {
  readonly #ids = new Map<string, number>();
  #sent = 0;
  readonly #order: string[] = [];

  /** The string's number, or INLINE when the table is full. */
  idOf(s: string): number {
    const known = this.#ids.get(s);
    if (known !== undefined) return known;
    if (this.#order.length >= MAX_NAMES) return INLINE;
    const id = this.#order.length;
    this.#ids.set(s, id);
    this.#order.push(s);
    return id;
  }

  takeNew(): string[] {
    if (this.#sent === this.#order.length) return [];
    const fresh = this.#order.slice(this.#sent);
    this.#sent = this.#order.length;
    return fresh;
  }
}

/** Writes records into one growing buffer; `take()` hands the chunk over (its memory is the reader's). */
export class SpanWriter {
  readonly #names = new Numbering();
  readonly #keys = new Numbering();
  readonly #initialBytes: number;
  #buf: Buffer<ArrayBuffer>;
  #view: DataView;
  #at = 0;
  #count = 0;

  constructor(initialBytes = 64 * 1024) {
    this.#initialBytes = initialBytes;
    this.#buf = Buffer.allocUnsafeSlow(initialBytes);
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
  }

  get count(): number {
    return this.#count;
  }

  write(r: SpanRecord): void {
    this.#name(this.#names, r.n);
    this.#ensure(HEADER_AND_IDS_BYTES);
    const buf = this.#buf;
    const view = this.#view;
    const at = this.#at;
    buf[at] = r.k;
    buf[at + 1] = (r.pr ? FLAG_REMOTE_PARENT : 0) | (r.x === undefined ? 0 : FLAG_SET) | (r.m === undefined ? 0 : FLAG_MESSAGE);
    buf[at + 2] = r.c;
    view.setFloat64(at + 3, r.b, true);
    view.setFloat64(at + 11, r.e, true);
    view.setInt32(at + 19, r.x ?? -1, true);
    this.#at = at + HEADER_BYTES;
    this.#ascii(r.t);
    this.#ascii(r.s);
    this.#ascii(r.p);
    this.#str(r.ts);
    if (r.m !== undefined) this.#str(r.m);
    const links = r.l;
    this.#ensure(4);
    this.#view.setUint32(this.#at, links === undefined ? 0 : links.length, true);
    this.#at += 4;
    if (links !== undefined) {
      for (const [t, s, ts, sampled] of links) {
        this.#ensure(2 * 256);
        this.#ascii(t);
        this.#ascii(s);
        this.#str(ts);
        this.#ensure(1);
        this.#buf[this.#at++] = sampled;
      }
    }
    this.#attributes(r.a);
    this.#count++;
  }

  /** The records written since the last take, or undefined for none; the writer starts a new buffer. */
  take(): WireChunk | undefined {
    if (this.#count === 0) return undefined;
    const chunk: WireChunk = {
      bytes: new Uint8Array(this.#buf.buffer, this.#buf.byteOffset, this.#at),
      count: this.#count,
      names: this.#names.takeNew(),
      keys: this.#keys.takeNew(),
    };
    // The old buffer's memory goes to the reader (transferred): never write into it again.
    this.#buf = Buffer.allocUnsafeSlow(this.#initialBytes);
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
    this.#at = 0;
    this.#count = 0;
    return chunk;
  }

  #attributes(a: Attributes): void {
    this.#ensure(2);
    const at = this.#at;
    this.#at += 2;
    let n = 0;
    for (const key in a) {
      const v = a[key];
      if (v === undefined) continue;
      this.#name(this.#keys, key);
      this.#ensure(1 + 8);
      if (typeof v === 'number') {
        this.#buf[this.#at] = TAG_NUMBER;
        this.#view.setFloat64(this.#at + 1, v, true);
        this.#at += 9;
      } else if (typeof v === 'boolean') {
        this.#buf[this.#at++] = v ? TAG_TRUE : TAG_FALSE;
      } else if (typeof v === 'string') {
        this.#buf[this.#at++] = TAG_STRING;
        this.#str(v);
      } else {
        // Arrays (OpenTelemetry allows them; Beamline's Span interface does not): as JSON text.
        this.#buf[this.#at++] = TAG_JSON;
        this.#str(JSON.stringify(v));
      }
      // A u16 count: a span with more attributes keeps the first 65,535.
      if (++n === 0xffff) break;
    }
    this.#view.setUint16(at, n, true);
  }

  #name(numbering: Numbering, s: string): void {
    this.#ensure(2);
    const id = numbering.idOf(s);
    this.#view.setUint16(this.#at, id, true);
    this.#at += 2;
    if (id === INLINE) this.#str(s);
  }

  /**
   * Ids: hex digits, one byte each. W3C ids are 16 or 32 of them (parsed or made by telemetry.ts);
   * anything past 255 is cut rather than thrown, as a span must never fail its caller.
   */
  #ascii(s: string): void {
    const n = Math.min(s.length, 255);
    const buf = this.#buf;
    let at = this.#at;
    buf[at++] = n;
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    this.#at = at;
  }

  #str(s: string): void {
    if (s === '') {
      this.#ensure(4);
      this.#view.setUint32(this.#at, 0, true);
      this.#at += 4;
      return;
    }
    this.#ensure(4 + s.length * 3);
    const written = this.#buf.write(s, this.#at + 4, 'utf8');
    this.#view.setUint32(this.#at, written, true);
    this.#at += 4 + written;
  }

  #ensure(bytes: number): void {
    if (this.#at + bytes <= this.#buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.#buf.length * 2, this.#at + bytes));
    this.#buf.copy(next, 0, 0, this.#at);
    this.#buf = next;
    this.#view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});

/** Reads the chunks one SpanWriter wrote, in order (the names' numbering carries across chunks). */
export class SpanReader {
  readonly #names: string[] = [];
  readonly #keys: string[] = [];

  read(chunk: WireChunk): SpanRecord[] {
    for (const n of chunk.names) this.#names.push(n);
    for (const k of chunk.keys) this.#keys.push(k);
    const bytes = chunk.bytes;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    const ascii = (): string => {
      const n = buf[at] ?? 0;
      const s = buf.toString('latin1', at + 1, at + 1 + n);
      at += 1 + n;
      return s;
    };
    const str = (): string => {
      const n = view.getUint32(at, true);
      at += 4;
      if (n === 0) return '';
      const s = buf.toString('utf8', at, at + n);
      at += n;
      return s;
    };
    const name = (table: readonly string[]): string => {
      const id = view.getUint16(at, true);
      at += 2;
      if (id === INLINE) return str();
      const s = table[id];
      if (s === undefined) throw new RangeError(`span wire: name ${id} was never sent`);
      return s;
    };
    const out: SpanRecord[] = [];
    for (let i = 0; i < chunk.count; i++) {
      const n = name(this.#names);
      const k = buf[at] ?? 0;
      const flags = buf[at + 1] ?? 0;
      const c = buf[at + 2] ?? 0;
      const b = view.getFloat64(at + 3, true);
      const e = view.getFloat64(at + 11, true);
      const xv = view.getInt32(at + 19, true);
      at += HEADER_BYTES;
      const t = ascii();
      const s = ascii();
      const p = ascii();
      const ts = str();
      const m = (flags & FLAG_MESSAGE) !== 0 ? str() : undefined;
      const linkCount = view.getUint32(at, true);
      at += 4;
      let l: Array<readonly [string, string, string, number]> | undefined;
      if (linkCount > 0) {
        l = [];
        for (let j = 0; j < linkCount; j++) {
          const lt = ascii();
          const ls = ascii();
          const lts = str();
          l.push([lt, ls, lts, buf[at++] ?? 0]);
        }
      }
      const attributeCount = view.getUint16(at, true);
      at += 2;
      let a: Record<string, AttributeValue> | Attributes = NO_ATTRIBUTES;
      if (attributeCount > 0) {
        const own: Record<string, AttributeValue> = {};
        for (let j = 0; j < attributeCount; j++) {
          const key = name(this.#keys);
          const tag = buf[at++];
          if (tag === TAG_NUMBER) {
            own[key] = view.getFloat64(at, true);
            at += 8;
          } else if (tag === TAG_STRING) own[key] = str();
          else if (tag === TAG_JSON) own[key] = JSON.parse(str()) as AttributeValue;
          else own[key] = tag === TAG_TRUE;
        }
        a = own;
      }
      out.push({
        n,
        k,
        t,
        s,
        ts,
        p,
        pr: (flags & FLAG_REMOTE_PARENT) !== 0,
        l,
        a,
        x: (flags & FLAG_SET) !== 0 ? xv : undefined,
        c,
        m,
        b,
        e,
      });
    }
    return out;
  }
}

/**
 * Batch payloads: repeated `[size u32][SingleMessageMetadata][payload]`. Compression, when used,
 * applies to the whole concatenation (MessageMetadata.uncompressed_size names its length).
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';
import { SingleMessageMetadataDef, type SingleMessageMetadata } from './common-messages.ts';
import { decodeMessage } from './proto-reader.ts';
import { encodeInto, ProtoWriter } from './proto-writer.ts';

export interface BatchEntry {
  metadata: SingleMessageMetadata;
  payload: Buffer;
}

const writer = new ProtoWriter(64 * 1024);

/** Serialize entries; each entry's payload_size is set from its payload. */
export function encodeBatch(entries: readonly BatchEntry[]): Buffer {
  const w = writer;
  w.reset();
  for (const e of entries) {
    w.ensure(4);
    const sizeAt = w.pos;
    w.pos += 4;
    e.metadata.payload_size = e.payload.length;
    encodeInto(w, SingleMessageMetadataDef, e.metadata as unknown as Record<string, unknown>);
    w.buf.writeUInt32BE(w.pos - sizeAt - 4, sizeAt);
    w.ensure(e.payload.length);
    w.buf.set(e.payload, w.pos);
    w.pos += e.payload.length;
  }
  return w.finish();
}

/** Split an (uncompressed) batch payload into its `count` messages. */
export function decodeBatch(buf: Buffer, count: number): BatchEntry[] {
  const out: BatchEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 4 > buf.length) throw batchError(i, count);
    const metaSize = buf.readUInt32BE(p);
    const metaEnd = p + 4 + metaSize;
    if (metaEnd > buf.length) throw batchError(i, count);
    const metadata = decodeSingleMetadata(buf, p + 4, metaEnd);
    const end = metaEnd + metadata.payload_size;
    if (end > buf.length || metadata.payload_size < 0) throw batchError(i, count);
    out.push({ metadata, payload: buf.subarray(metaEnd, end) });
    p = end;
  }
  return out;
}

/**
 * SingleMessageMetadata, decoded once per batched message, so hot on the consume path: a
 * hand-written reader for the fields Pulsar producers write, building the same object the
 * generic decoder does (only the fields present, in wire order). Anything else (properties, an
 * unknown field, an unexpected wire type, a varint past 2^28) goes to the generic decoder, which
 * also reports malformed input.
 */
function decodeSingleMetadata(buf: Buffer, start: number, end: number): SingleMessageMetadata {
  const out: Record<string, unknown> = {};
  let p = start;
  while (p < end) {
    const tag = buf[p++] as number;
    if (tag >= 0x80) return decodeMessage<SingleMessageMetadata>(SingleMessageMetadataDef, buf, start, end);
    const no = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) {
      // One- to four-byte varints (values below 2^28) are read here; longer ones are rare
      // (event times and sequence ids past 2^28 are not: they take the generic path below).
      let v = 0;
      let shift = 0;
      let byte: number;
      do {
        if (p >= end || shift > 21) return decodeMessage<SingleMessageMetadata>(SingleMessageMetadataDef, buf, start, end);
        byte = buf[p++] as number;
        v |= (byte & 0x7f) << shift;
        shift += 7;
      } while (byte >= 0x80);
      switch (no) {
        case 3:
          out['payload_size'] = v;
          break;
        case 4:
          out['compacted_out'] = v !== 0;
          break;
        case 5:
          out['event_time'] = v;
          break;
        case 6:
          out['partition_key_b64_encoded'] = v !== 0;
          break;
        case 8:
          out['sequence_id'] = v;
          break;
        case 9:
          out['null_value'] = v !== 0;
          break;
        case 10:
          out['null_partition_key'] = v !== 0;
          break;
        default:
          return decodeMessage<SingleMessageMetadata>(SingleMessageMetadataDef, buf, start, end);
      }
    } else if (wire === 2 && (no === 2 || no === 7)) {
      const n = buf[p++] as number;
      if (n >= 0x80 || p + n > end) return decodeMessage<SingleMessageMetadata>(SingleMessageMetadataDef, buf, start, end);
      if (no === 2) out['partition_key'] = buf.toString('utf8', p, p + n);
      else out['ordering_key'] = Buffer.from(buf.buffer, buf.byteOffset + p, n);
      p += n;
    } else {
      return decodeMessage<SingleMessageMetadata>(SingleMessageMetadataDef, buf, start, end);
    }
  }
  if (p !== end) return decodeMessage<SingleMessageMetadata>(SingleMessageMetadataDef, buf, start, end);
  return out as unknown as SingleMessageMetadata;
}

function batchError(index: number, count: number): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.batchCorrupt, 'batch payload is shorter than its metadata says', {
    details: { index, count },
  });
}

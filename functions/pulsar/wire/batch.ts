/**
 * Batch payloads: repeated `[size u32][SingleMessageMetadata][payload]`. Compression, when used,
 * applies to the whole concatenation (MessageMetadata.uncompressed_size names its length).
 */
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
    const metadata = decodeMessage<SingleMessageMetadata>(SingleMessageMetadataDef, buf, p + 4, metaEnd);
    const end = metaEnd + metadata.payload_size;
    if (end > buf.length || metadata.payload_size < 0) throw batchError(i, count);
    out.push({ metadata, payload: buf.subarray(metaEnd, end) });
    p = end;
  }
  return out;
}

function batchError(index: number, count: number): BeamlineError {
  return new BeamlineError('BL_PULSAR_BATCH_CORRUPT', 'batch payload is shorter than its metadata says', {
    details: { index, count },
  });
}

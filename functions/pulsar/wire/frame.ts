/**
 * Frames on the wire (all integers big-endian):
 *   simple:  [totalSize u32][commandSize u32][BaseCommand]
 *   payload: [totalSize u32][commandSize u32][BaseCommand]
 *            ([0x0e02 u16][size u32][BrokerEntryMetadata])?      broker -> client only
 *            ([0x0e01 u16][CRC32C u32])?                          over everything after it
 *            [metadataSize u32][MessageMetadata][payload]
 * totalSize counts every byte after itself.
 */
import { PULSAR_ERROR_CODES } from '../errors.ts';
import { BeamlineError } from '../../errors.ts';
import { crc32c } from './crc32c.ts';
import { BaseCommandDef, type BaseCommand } from './base-command.ts';
import { BrokerEntryMetadataDef, MessageMetadataDef, type BrokerEntryMetadata, type MessageMetadata } from './common-messages.ts';
import { decodeMessage } from './proto-reader.ts';
import { encodeInto, ProtoWriter } from './proto-writer.ts';

export const MAGIC_CRC32C = 0x0e01;
export const MAGIC_BROKER_ENTRY_METADATA = 0x0e02;
/** Broker default `maxMessageSize`; CONNECTED may announce another. */
export const DEFAULT_MAX_MESSAGE_SIZE = 5 * 1024 * 1024;
/** Room for command and metadata on top of the largest payload. */
export const FRAME_OVERHEAD_BYTES = 10 * 1024;

const writer = new ProtoWriter(64 * 1024);

/** A simple command frame. */
export function encodeCommand(cmd: BaseCommand): Buffer {
  const w = writer;
  w.reset();
  w.ensure(8);
  w.pos = 8;
  encodeInto(w, BaseCommandDef, cmd as unknown as Record<string, unknown>);
  const cmdSize = w.pos - 8;
  w.buf.writeUInt32BE(cmdSize + 4, 0);
  w.buf.writeUInt32BE(cmdSize, 4);
  return w.finish();
}

/**
 * A payload command frame (SEND). `metadata` must already carry compression and sizes;
 * `payload` is the (possibly compressed) body.
 */
export function encodePayloadCommand(cmd: BaseCommand, metadata: MessageMetadata, payload: Uint8Array): Buffer {
  const w = writer;
  w.reset();
  w.ensure(8);
  w.pos = 8;
  encodeInto(w, BaseCommandDef, cmd as unknown as Record<string, unknown>);
  const cmdEnd = w.pos;
  // magic + crc + metadataSize, then metadata.
  w.ensure(10);
  const magicAt = cmdEnd;
  const metaSizeAt = cmdEnd + 6;
  w.pos = metaSizeAt + 4;
  encodeInto(w, MessageMetadataDef, metadata as unknown as Record<string, unknown>);
  const metaEnd = w.pos;
  const headerLen = metaEnd;
  const total = headerLen + payload.length;
  const out = Buffer.allocUnsafe(total);
  w.buf.copy(out, 0, 0, headerLen);
  out.set(payload, headerLen);
  out.writeUInt32BE(total - 4, 0);
  out.writeUInt32BE(cmdEnd - 8, 4);
  out.writeUInt16BE(MAGIC_CRC32C, magicAt);
  out.writeUInt32BE(metaEnd - metaSizeAt - 4, metaSizeAt);
  out.writeUInt32BE(crc32c(out, 0, metaSizeAt, total), magicAt + 2);
  return out;
}

export interface DecodedPayload {
  metadata: MessageMetadata;
  /** The body as sent (still compressed when metadata.compression says so). */
  payload: Buffer;
  brokerEntryMetadata: BrokerEntryMetadata | undefined;
  /** False when a checksum was present and did not match. */
  checksumValid: boolean;
}

export interface Frame {
  command: BaseCommand;
  /** Present for payload commands (MESSAGE, or SEND when decoding our own frames). */
  payload: DecodedPayload | undefined;
}

function frameError(message: string, details?: Record<string, unknown>): BeamlineError {
  return new BeamlineError(PULSAR_ERROR_CODES.protocolDecode, message, { retriable: true, details });
}

/** Decode one whole frame: `buf` starts at totalSize and holds exactly totalSize + 4 bytes. */
export function decodeFrame(buf: Buffer): Frame {
  const total = buf.readUInt32BE(0) + 4;
  if (total !== buf.length) throw frameError('frame length mismatch', { total, length: buf.length });
  const cmdSize = buf.readUInt32BE(4);
  const cmdEnd = 8 + cmdSize;
  if (cmdEnd > total) throw frameError('command overruns frame', { cmdSize, total });
  const command = decodeMessage<BaseCommand>(BaseCommandDef, buf, 8, cmdEnd);
  if (cmdEnd === total) return { command, payload: undefined };
  return { command, payload: decodePayloadSection(buf, cmdEnd, total) };
}

/** Parse the part of a payload frame that follows the command. */
export function decodePayloadSection(buf: Buffer, start: number, end: number): DecodedPayload {
  let p = start;
  let brokerEntryMetadata: BrokerEntryMetadata | undefined;
  if (p + 6 <= end && buf.readUInt16BE(p) === MAGIC_BROKER_ENTRY_METADATA) {
    const size = buf.readUInt32BE(p + 2);
    brokerEntryMetadata = decodeMessage<BrokerEntryMetadata>(BrokerEntryMetadataDef, buf, p + 6, p + 6 + size);
    p += 6 + size;
  }
  let checksumValid = true;
  if (p + 6 <= end && buf.readUInt16BE(p) === MAGIC_CRC32C) {
    const expected = buf.readUInt32BE(p + 2);
    p += 6;
    checksumValid = crc32c(buf, 0, p, end) === expected;
  }
  if (p + 4 > end) throw frameError('payload frame without metadata');
  const metaSize = buf.readUInt32BE(p);
  const metaEnd = p + 4 + metaSize;
  if (metaEnd > end) throw frameError('metadata overruns frame', { metaSize });
  const metadata = decodeMessage<MessageMetadata>(MessageMetadataDef, buf, p + 4, metaEnd);
  return { metadata, payload: buf.subarray(metaEnd, end), brokerEntryMetadata, checksumValid };
}

/**
 * Splits a byte stream into frames. Chunks are kept in a list until a whole frame is present,
 * so a large frame arriving in many reads is copied once, not once per read.
 */
export class FrameDecoder {
  readonly #maxFrameSize: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes of the frame being assembled (including the size prefix), or -1 when unknown. */
  #need = -1;

  constructor(maxFrameSize = DEFAULT_MAX_MESSAGE_SIZE + FRAME_OVERHEAD_BYTES) {
    this.#maxFrameSize = maxFrameSize;
  }

  /** Feed bytes; returns whole frames (raw, starting at totalSize), in order. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < 4) break;
        const head = this.#peek4();
        if (head + 4 > this.#maxFrameSize) {
          throw frameError('frame larger than the maximum frame size', { size: head, max: this.#maxFrameSize });
        }
        this.#need = head + 4;
      }
      if (this.#buffered < this.#need) break;
      out.push(this.#take(this.#need));
      this.#need = -1;
    }
    return out;
  }

  #peek4(): number {
    const first = this.#chunks[0] as Buffer;
    if (first.length >= 4) return first.readUInt32BE(0);
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined.readUInt32BE(0);
  }

  #take(n: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    let frame: Buffer;
    if (first.length >= n) {
      frame = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      const joined = Buffer.concat(this.#chunks, this.#buffered);
      frame = joined.subarray(0, n);
      this.#chunks = joined.length > n ? [joined.subarray(n)] : [];
    }
    this.#buffered -= n;
    return frame;
  }
}

import { describe, expect, it } from 'vitest';
import {
  BaseCommandDef,
  BrokerEntryMetadataDef,
  CommandType,
  compress,
  CompressionType,
  crc32c,
  decodeBatch,
  decodeFrame,
  decodeMessage,
  decompress,
  encodeBatch,
  encodeCommand,
  encodeMessage,
  encodePayloadCommand,
  FrameDecoder,
  MessageMetadataDef,
  SingleMessageMetadataDef,
  type BaseCommand,
} from '../../../../functions/pulsar/wire/index.ts';

describe('frames', () => {
  it('encodes a simple command as [total][cmdSize][BaseCommand]', () => {
    const frame = encodeCommand({ type: CommandType.PING, ping: {} });
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readUInt32BE(4)).toBe(frame.length - 8);
    // type = 18 (field 1 varint), ping = field 18 length-delimited empty
    expect([...frame.subarray(8)]).toEqual([0x08, 18, 0x92, 0x01, 0x00]);
    expect(decodeFrame(frame).command).toEqual({ type: CommandType.PING, ping: {} });
  });

  it('round-trips a SEND with magic 0x0e01 and a CRC32C over metadata+payload', () => {
    const payload = Buffer.from('hello');
    const frame = encodePayloadCommand(
      { type: CommandType.SEND, send: { producer_id: 7, sequence_id: 42, num_messages: 1 } },
      { producer_name: 'p', sequence_id: 42, publish_time: 1_700_000_000_123, partition_key: 'k', properties: [{ key: 'a', value: 'b' }] },
      payload,
    );
    const cmdSize = frame.readUInt32BE(4);
    const at = 8 + cmdSize;
    expect(frame.readUInt16BE(at)).toBe(0x0e01);
    expect(frame.readUInt32BE(at + 2)).toBe(crc32c(frame.subarray(at + 6)));
    const decoded = decodeFrame(frame);
    expect(decoded.command.send).toEqual({ producer_id: 7, sequence_id: 42, num_messages: 1 });
    expect(decoded.payload?.checksumValid).toBe(true);
    expect(decoded.payload?.metadata.publish_time).toBe(1_700_000_000_123);
    expect(decoded.payload?.metadata.partition_key).toBe('k');
    expect(decoded.payload?.payload.toString()).toBe('hello');
  });

  it('flags a corrupted payload as failing its checksum', () => {
    const frame = encodePayloadCommand(
      { type: CommandType.SEND, send: { producer_id: 1, sequence_id: 1 } },
      { producer_name: 'p', sequence_id: 1, publish_time: 1 },
      Buffer.from('abc'),
    );
    frame.writeUInt8((frame.at(-1) as number) ^ 0xff, frame.length - 1);
    expect(decodeFrame(frame).payload?.checksumValid).toBe(false);
  });

  it('skips broker entry metadata (0x0e02) in front of the checksum', () => {
    const cmd = encodeMessage(BaseCommandDef, {
      type: CommandType.MESSAGE,
      message: { consumer_id: 3, message_id: { ledgerId: 2n ** 63n + 5n, entryId: 9n } },
    });
    const bem = encodeMessage(BrokerEntryMetadataDef, { broker_timestamp: 123, index: 77n });
    const meta = encodeMessage(MessageMetadataDef, { producer_name: 'x', sequence_id: 0, publish_time: 5 });
    const body = Buffer.from('payload');
    const checked = Buffer.concat([Buffer.alloc(4), meta, body]);
    checked.writeUInt32BE(meta.length, 0);
    const crc = Buffer.alloc(6);
    crc.writeUInt16BE(0x0e01, 0);
    crc.writeUInt32BE(crc32c(checked), 2);
    const bemHead = Buffer.alloc(6);
    bemHead.writeUInt16BE(0x0e02, 0);
    bemHead.writeUInt32BE(bem.length, 2);
    const rest = Buffer.concat([cmd, bemHead, bem, crc, checked]);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(rest.length + 4, 0);
    head.writeUInt32BE(cmd.length, 4);
    const f = decodeFrame(Buffer.concat([head, rest]));
    expect(f.command.message?.message_id.ledgerId).toBe(2n ** 63n + 5n);
    expect(f.payload?.brokerEntryMetadata).toEqual({ broker_timestamp: 123, index: 77n });
    expect(f.payload?.checksumValid).toBe(true);
    expect(f.payload?.payload.toString()).toBe('payload');
  });

  it('FrameDecoder reassembles frames split at every byte boundary and many per chunk', () => {
    const frames = [
      encodeCommand({ type: CommandType.PONG, pong: {} }),
      encodePayloadCommand(
        { type: CommandType.SEND, send: { producer_id: 1, sequence_id: 2 } },
        { producer_name: 'p', sequence_id: 2, publish_time: 3 },
        Buffer.alloc(1000, 7),
      ),
      encodeCommand({ type: CommandType.FLOW, flow: { consumer_id: 4, messagePermits: 1000 } }),
    ];
    const stream = Buffer.concat(frames);
    for (const step of [1, 3, 7, 64, stream.length]) {
      const dec = new FrameDecoder();
      const got: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) got.push(...dec.push(stream.subarray(i, i + step)));
      expect(got.map((b) => b.toString('hex'))).toEqual(frames.map((b) => b.toString('hex')));
    }
  });

  it('FrameDecoder refuses frames over the maximum size', () => {
    const dec = new FrameDecoder(1024);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(5000, 0);
    expect(() => dec.push(head)).toThrow(expect.objectContaining({ code: 'BL_PULSAR_PROTOCOL_DECODE' }));
  });
});

describe('protobuf tables', () => {
  it('keeps 64-bit ledger and entry ids exact, and int32 -1 as a ten-byte varint', () => {
    const cmd: BaseCommand = {
      type: CommandType.ACK,
      ack: {
        consumer_id: 1,
        ack_type: 0,
        message_id: [{ ledgerId: 18446744073709551615n, entryId: 9007199254740993n, partition: -1, batch_index: 3, ack_set: [-1n, 5n] }],
      },
    };
    const bytes = encodeMessage(BaseCommandDef, cmd);
    const back = decodeFrame(encodeCommand(cmd)).command;
    expect(back).toEqual(cmd);
    expect(bytes.length).toBeGreaterThan(30);
  });

  it('skips unknown fields (newer brokers add fields)', () => {
    // type=PONG, then unknown field 99 (varint 1), unknown field 98 (bytes "zz"), then pong {}
    const raw = Buffer.from([0x08, 19, 0x98, 0x06, 0x01, 0x92, 0x06, 0x02, 0x7a, 0x7a, 0x9a, 0x01, 0x00]);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(raw.length + 4, 0);
    head.writeUInt32BE(raw.length, 4);
    expect(decodeFrame(Buffer.concat([head, raw])).command).toEqual({ type: CommandType.PONG, pong: {} });
  });

  it('reads long strings and large nested messages', () => {
    const topic = 'persistent://tenant/ns/' + 'x'.repeat(300);
    const cmd: BaseCommand = {
      type: CommandType.SUBSCRIBE,
      subscribe: {
        topic,
        subscription: 's',
        subType: 3,
        consumer_id: 2 ** 40,
        request_id: 5,
        metadata: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(50) })),
        initialPosition: 1,
        keySharedMeta: { keySharedMode: 0 },
        start_message_id: { ledgerId: 1n, entryId: 2n },
      },
    };
    expect(decodeFrame(encodeCommand(cmd)).command).toEqual(cmd);
  });
});

describe('batch payloads', () => {
  it('encodes and decodes entries with keys, properties and empty payloads, through every codec', () => {
    const entries = [
      {
        metadata: { payload_size: 0, partition_key: 'a', properties: [{ key: 'p', value: '1' }], event_time: 99 },
        payload: Buffer.from('one'),
      },
      { metadata: { payload_size: 0, ordering_key: Buffer.from('ok') }, payload: Buffer.alloc(0) },
      { metadata: { payload_size: 0, null_value: true }, payload: Buffer.from('three'.repeat(100)) },
    ];
    const raw = encodeBatch(entries);
    for (const type of [CompressionType.NONE, CompressionType.LZ4, CompressionType.ZLIB, CompressionType.ZSTD, CompressionType.SNAPPY]) {
      const back = decodeBatch(decompress(type, compress(type, raw), raw.length), 3);
      expect(back.map((e) => e.payload.toString())).toEqual(['one', '', 'three'.repeat(100)]);
      expect(back[0]?.metadata.partition_key).toBe('a');
      expect(back[0]?.metadata.event_time).toBe(99);
      expect(back[1]?.metadata.ordering_key?.toString()).toBe('ok');
      expect(back[2]?.metadata.null_value).toBe(true);
    }
  });

  it('decodes every member metadata exactly as the generic protobuf decoder does (fast path and fallbacks)', () => {
    // The fast path covers small varints and short strings; large event times and sequence ids,
    // long keys, properties and negative sizes take the generic path. Both must agree.
    const metas: Record<string, unknown>[] = [
      {},
      { sequence_id: 7 },
      { partition_key: 'card-42', event_time: 1_700_000_000_000, sequence_id: 3 },
      { partition_key: 'k'.repeat(200), sequence_id: 2 ** 40 },
      { compacted_out: true, partition_key_b64_encoded: false, null_value: true, null_partition_key: true },
      { ordering_key: Buffer.from([1, 2, 3]), sequence_id: 2 ** 28 - 1, event_time: 2 ** 28 },
      { properties: [{ key: 'a', value: 'b' }], partition_key: 'x' },
    ];
    const raw = encodeBatch(metas.map((m, i) => ({ metadata: { payload_size: 0, ...m }, payload: Buffer.from(`p${i}`) })));
    const back = decodeBatch(raw, metas.length);
    let p = 0;
    for (let i = 0; i < metas.length; i++) {
      const size = raw.readUInt32BE(p);
      const generic = decodeMessage(SingleMessageMetadataDef, raw, p + 4, p + 4 + size) as { payload_size: number };
      expect(back[i]?.metadata).toStrictEqual(generic);
      expect(Object.keys(back[i]?.metadata ?? {})).toEqual(Object.keys(generic));
      expect(back[i]?.payload.toString()).toBe(`p${i}`);
      p += 4 + size + generic.payload_size;
    }
  });

  it('reports a truncated batch with a stable code', () => {
    const raw = encodeBatch([{ metadata: { payload_size: 0 }, payload: Buffer.from('abcdef') }]);
    expect(() => decodeBatch(raw.subarray(0, raw.length - 2), 1)).toThrow(expect.objectContaining({ code: 'BL_PULSAR_BATCH_CORRUPT' }));
    expect(() => decodeBatch(raw, 2)).toThrow(expect.objectContaining({ code: 'BL_PULSAR_BATCH_CORRUPT' }));
  });
});

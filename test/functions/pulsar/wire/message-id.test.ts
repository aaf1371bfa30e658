import { describe, expect, it } from 'vitest';
import { MessageId } from '../../../../functions/pulsar/wire/index.ts';

describe('MessageId', () => {
  it('keeps ids beyond 2^53 exact through bytes and strings', () => {
    const id = new MessageId(9007199254740993n, 9223372036854775806n, 3, 7, 10);
    const back = MessageId.fromBytes(id.toBytes());
    expect(back.ledgerId).toBe(9007199254740993n);
    expect(back.entryId).toBe(9223372036854775806n);
    expect(back.partition).toBe(3);
    expect(back.batchIndex).toBe(7);
    expect(back.batchSize).toBe(10);
    expect(MessageId.parse(id.toString()).equals(id)).toBe(true);
  });

  it('serializes earliest as -1/-1 (uint64 max on the wire) and round-trips it', () => {
    const back = MessageId.fromBytes(MessageId.earliest.toBytes());
    expect(back.ledgerId).toBe(-1n);
    expect(back.entryId).toBe(-1n);
    expect(MessageId.earliest.toData().ledgerId).toBe(2n ** 64n - 1n);
  });

  it('orders by ledger, entry, then batch index', () => {
    const a = new MessageId(1n, 5n, -1, 0);
    const b = new MessageId(1n, 5n, -1, 1);
    const c = new MessageId(1n, 6n);
    const d = new MessageId(2n, 0n);
    expect([d, c, b, a].sort((x, y) => x.compareTo(y))).toEqual([a, b, c, d]);
    expect(a.sameEntry(b)).toBe(true);
    expect(a.equals(b)).toBe(false);
  });

  it('rejects garbage with a stable code', () => {
    expect(() => MessageId.parse('x:y')).toThrow(expect.objectContaining({ code: 'BL_PULSAR_MESSAGE_ID_INVALID' }));
    expect(() => MessageId.parse('1')).toThrow(expect.objectContaining({ code: 'BL_PULSAR_MESSAGE_ID_INVALID' }));
    expect(() => MessageId.fromBytes(Buffer.from([0x0a, 0x05]))).toThrow(expect.objectContaining({ code: 'BL_PULSAR_MESSAGE_ID_INVALID' }));
  });

  it("carries a chunked message's first chunk through bytes (MessageIdData field 7) and compares by the last chunk", () => {
    const id = MessageId.chunked(new MessageId(7n, 10n, 2), new MessageId(7n, 12n, 2));
    expect(id.toData().first_chunk_message_id).toEqual({ ledgerId: 7n, entryId: 10n, partition: 2 });
    const bytes = id.toBytes();
    // Field 7, wire type 2 (a nested message): tag byte 0x3a.
    expect(bytes.includes(0x3a)).toBe(true);
    const back = MessageId.fromBytes(bytes);
    expect(back.toString()).toBe('7:12:2:-1');
    expect(back.firstChunkId?.toString()).toBe('7:10:2:-1');
    expect(back.startPosition.entryId).toBe(10n);
    expect(back.equals(id)).toBe(true);
    expect(back.compareTo(new MessageId(7n, 12n, 2))).toBe(0);
    expect(back.compareTo(new MessageId(7n, 11n, 2))).toBe(1);
    // A plain id starts where it is; an id with field 7 absent has no first chunk.
    const plain = new MessageId(7n, 12n, 2);
    expect(plain.startPosition).toBe(plain);
    expect(MessageId.fromBytes(plain.toBytes()).firstChunkId).toBeUndefined();
  });
});

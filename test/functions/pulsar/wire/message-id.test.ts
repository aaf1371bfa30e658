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
});

import { describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../../functions/tracing/span-record.ts';
import { MAX_NAMES, SpanReader, SpanWriter } from '../../../functions/tracing/span-wire.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

function record(overrides: Partial<SpanRecord> = {}): SpanRecord {
  return {
    n: 'persistent://t/ns/events process',
    k: 4,
    t: TRACE,
    s: SPAN,
    ts: '',
    p: '',
    pr: true,
    l: undefined,
    a: {},
    x: undefined,
    c: 0,
    m: undefined,
    b: 1_796_663_831_080_450,
    e: 1_796_663_831_086_912,
    ...overrides,
  };
}

/** What the reader gives back: a record as written, with an empty attribute object for none. */
function roundTrip(records: SpanRecord[], writer = new SpanWriter(64), reader = new SpanReader()): SpanRecord[] {
  for (const r of records) writer.write(r);
  const chunk = writer.take();
  if (chunk === undefined) return [];
  // As the thread receives it: the bytes copied into memory of their own.
  return reader.read({ ...chunk, bytes: new Uint8Array(chunk.bytes) });
}

describe('span wire (#22)', () => {
  it('carries every field of a record: ids, kinds, times, parent, status, links, trace state, each attribute type', () => {
    const records: SpanRecord[] = [
      record({ a: { 'messaging.message.id': '365:0:-1:-1', 'messaging.pulsar.redelivery_count': 0, n: 3.5, ok: true, no: false } }),
      record({
        n: 'score',
        k: 0,
        p: SPAN,
        pr: false,
        s: 'a1b2c3d4e5f60718',
        x: 7,
        c: 2,
        m: 'stalled — ünïcode 😀',
        ts: 'vendor=x,other=y',
        a: { 'beamline.model.version': 'fraud@2', list: ['a', 'b'] as unknown as string },
      }),
      record({
        n: 'persistent://t/ns/events process batch',
        l: [
          [TRACE, SPAN, '', 1],
          ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', 'k=v', 0],
        ],
        x: 0,
      }),
    ];
    const back = roundTrip(records);
    expect(back).toEqual(records);
    expect(back[1]?.a['list']).toEqual(['a', 'b']);
  });

  it('numbers names and keys once across chunks, and sends only the new ones with each chunk', () => {
    const writer = new SpanWriter(64);
    const reader = new SpanReader();
    writer.write(record({ a: { k1: 1 } }));
    const first = writer.take();
    expect(first?.names).toEqual(['persistent://t/ns/events process']);
    expect(first?.keys).toEqual(['k1']);
    writer.write(record({ a: { k1: 2, k2: 'x' } }));
    writer.write(record({ n: 'decode', a: { k1: 3 } }));
    const second = writer.take();
    expect(second?.names).toEqual(['decode']);
    expect(second?.keys).toEqual(['k2']);
    expect(writer.take()).toBeUndefined();
    expect(reader.read(first!).map((r) => r.a)).toEqual([{ k1: 1 }]);
    expect(reader.read(second!).map((r) => [r.n, r.a])).toEqual([
      ['persistent://t/ns/events process', { k1: 2, k2: 'x' }],
      ['decode', { k1: 3 }],
    ]);
  });

  it(`sends names past the first ${MAX_NAMES} inline (a bounded table), and grows its buffer as records need`, () => {
    const records = Array.from({ length: MAX_NAMES + 50 }, (_, i) => record({ n: `span-${i}`, a: { [`key-${i}`]: i } }));
    const writer = new SpanWriter(64);
    for (const r of records) writer.write(r);
    const chunk = writer.take();
    expect(chunk?.names).toHaveLength(MAX_NAMES);
    expect(chunk?.keys).toHaveLength(MAX_NAMES);
    expect(new SpanReader().read(chunk!)).toEqual(records);
  });

  it('names a number the reader never received, rather than misreading the chunk', () => {
    const writer = new SpanWriter();
    writer.write(record());
    writer.take();
    writer.write(record());
    const second = writer.take();
    expect(() => new SpanReader().read(second!)).toThrow(/name 0 was never sent/);
  });
});

/**
 * The Parquet writer's bytes (#23), checked against the format's specification by hand; that real
 * readers open the files is test/integration/parquet-pyarrow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { encodeParquet, PARQUET_ERROR_CODES, type ParquetColumn } from '../../../functions/parquet/index.ts';
import { CompactWriter } from '../../../functions/parquet/thrift-compact.ts';

describe('Thrift compact protocol (the parts Parquet uses)', () => {
  it('writes field headers, zigzag varints, binaries, lists and nested structs', () => {
    // Field 1 i32 1: header (1 << 4 | 5), zigzag(1) = 2, then STOP.
    expect([...new CompactWriter().struct([[1, { i32: 1 }]]).bytes()]).toEqual([0x15, 0x02, 0x00]);
    // Negative and 64-bit: zigzag(-1) = 1; 300 -> zigzag 600 = 0xd8 0x04.
    expect([
      ...new CompactWriter()
        .struct([
          [1, { i64: -1 }],
          [2, { i64: 300 }],
        ])
        .bytes(),
    ]).toEqual([0x16, 0x01, 0x16, 0xd8, 0x04, 0x00]);
    // A jump of more than 15 in field ids: type byte, then the id as a zigzag varint (20 -> 40).
    expect([...new CompactWriter().struct([[20, { i32: 0 }]]).bytes()]).toEqual([0x05, 0x28, 0x00, 0x00]);
    // Booleans live in the header's type: true 1, false 2; undefined fields are left out.
    expect([
      ...new CompactWriter()
        .struct([
          [1, { bool: true }],
          [2, undefined],
          [3, { bool: false }],
        ])
        .bytes(),
    ]).toEqual([0x11, 0x22, 0x00]);
    // Binary: varint length then UTF-8 bytes; a struct field ends with its own STOP.
    expect([
      ...new CompactWriter()
        .struct([
          [4, { binary: 'ü' }],
          [5, { struct: [[1, { i32: 0 }]] }],
        ])
        .bytes(),
    ]).toEqual([0x48, 0x02, 0xc3, 0xbc, 0x1c, 0x15, 0x00, 0x00, 0x00]);
    // Lists: (size << 4 | type) below 15 elements, else 0xf_ and the size as a varint.
    expect([...new CompactWriter().struct([[1, { list: { i32: [1, 2] } }]]).bytes()]).toEqual([0x19, 0x25, 0x02, 0x04, 0x00]);
    const long = [...new CompactWriter().struct([[1, { list: { i32: Array.from({ length: 20 }, () => 0) } }]]).bytes()];
    expect(long.slice(0, 3)).toEqual([0x19, 0xf5, 20]);
    expect(long).toHaveLength(3 + 20 + 1);
  });
});

describe('encodeParquet', () => {
  const ids: ParquetColumn = { name: 'id', type: 'int64', optional: false, values: [1, 2, 3] };

  it('frames the file: PAR1, pages, the footer and its length, PAR1', () => {
    const file = encodeParquet({ columns: [ids] });
    expect(file.subarray(0, 4).toString()).toBe('PAR1');
    expect(file.subarray(-4).toString()).toBe('PAR1');
    const footerLength = file.readUInt32LE(file.length - 8);
    const footer = file.subarray(file.length - 8 - footerLength, file.length - 8);
    // FileMetaData starts with field 1 (version) = 1.
    expect([...footer.subarray(0, 2)]).toEqual([0x15, 0x02]);
    // A REQUIRED int64 column: the page is the values alone, little-endian, just before the footer.
    const values = Buffer.alloc(24);
    [1n, 2n, 3n].forEach((v, i) => values.writeBigInt64LE(v, i * 8));
    expect(file.subarray(file.length - 8 - footerLength - 24, file.length - 8 - footerLength)).toEqual(values);
  });

  it('writes an optional column as definition levels (RLE runs, length first) and the non-null values', () => {
    const file = encodeParquet({ columns: [{ name: 's', type: 'string', optional: true, values: [null, 'a', 'a'] }] });
    // Levels 0, 1, 1: runs (1 << 1, 0) and (2 << 1, 1), 4 bytes; then PLAIN byte arrays: length + bytes.
    const page = Buffer.from([4, 0, 0, 0, 0x02, 0x00, 0x04, 0x01, 1, 0, 0, 0, 0x61, 1, 0, 0, 0, 0x61]);
    const footerLength = file.readUInt32LE(file.length - 8);
    expect(file.subarray(file.length - 8 - footerLength - page.length, file.length - 8 - footerLength)).toEqual(page);
  });

  it('splits rows into row groups, each a page per column', () => {
    const n = 10;
    const column: ParquetColumn = { name: 'x', type: 'double', optional: false, values: Array.from({ length: n }, (_, i) => i / 3) };
    const one = encodeParquet({ columns: [column] });
    const three = encodeParquet({ columns: [column], rowGroupRows: 4 });
    // The same 80 bytes of values, cut 32 + 32 + 16 with a page header before each piece.
    for (const file of [one, three]) {
      for (let i = 0; i < n; i++) {
        const v = Buffer.alloc(8);
        v.writeDoubleLE(i / 3, 0);
        expect(file.includes(v)).toBe(true);
      }
    }
    expect(three.length).toBeGreaterThan(one.length);
  });

  it('refuses a table it cannot write, naming the column, the value and the fix', () => {
    const bad = (columns: ParquetColumn[]): unknown => {
      try {
        encodeParquet({ columns });
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(bad([])).toMatchObject({ code: PARQUET_ERROR_CODES.invalidTable });
    expect(bad([ids, { ...ids }])).toMatchObject({ message: expect.stringMatching(/columns\.id: the name is used twice/) });
    expect(bad([ids, { name: 'y', type: 'double', optional: false, values: [1] }])).toMatchObject({
      message: expect.stringMatching(/columns\.y: 1 values where the first column has 3/),
    });
    expect(bad([{ name: 'k', type: 'string', optional: false, values: ['a', null] }])).toMatchObject({
      message: expect.stringMatching(/columns\.k\[1\]: null in a required column; declare the column optional/),
    });
    expect(bad([{ name: 'n', type: 'int32', optional: false, values: [2 ** 31] }])).toMatchObject({
      message: expect.stringMatching(/columns\.n\[0\]: invalid value 2147483648 for a int32 column/),
    });
    expect(bad([{ name: 'n', type: 'int64', optional: false, values: [1.5] }])).toMatchObject({
      message: expect.stringMatching(/columns\.n\[0\]: invalid value 1\.5 for a int64 column/),
    });
    expect(() => encodeParquet({ columns: [ids], rowGroupRows: 0 })).toThrow(/rowGroupRows: invalid value 0/);
  });
});

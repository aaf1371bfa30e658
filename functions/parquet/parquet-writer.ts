/**
 * #23: a table as an Apache Parquet file, written from the format's specification
 * (parquet-format: the file layout and `parquet.thrift`), so training sets open directly in
 * pandas, pyarrow, Spark or DuckDB with their column types.
 *
 * What it writes, deliberately the plainest form every reader accepts:
 *   "PAR1" | row group 1: one column chunk per column, each one v1 data page | ... |
 *   FileMetaData (Thrift compact) | its length (4 bytes, little-endian) | "PAR1"
 * - flat schema: every column a leaf of the root, REQUIRED or OPTIONAL (nulls);
 * - PLAIN values, uncompressed; definition levels of an OPTIONAL column in the RLE / bit-packed
 *   hybrid (bit width 1, RLE runs only), preceded by their byte length, as v1 pages require;
 * - strings are BYTE_ARRAY annotated UTF8 (converted type and logical type STRING);
 * - rows split into row groups of `rowGroupRows`, so a reader can stream a large export.
 * No statistics, dictionaries or compression: the files are for training sets of up to millions
 * of rows, read once; size is not what matters there.
 *
 * No I/O: returns the file's bytes.
 */
import { CompactWriter, type ThriftStruct } from './thrift-compact.ts';
import { invalidTable } from './errors.ts';

export type ParquetColumnType = 'string' | 'int32' | 'int64' | 'double';

/** One column, all its values in row order. */
export type ParquetColumn =
  | { readonly name: string; readonly type: 'string'; readonly optional: boolean; readonly values: readonly (string | null)[] }
  | {
      readonly name: string;
      readonly type: 'int32' | 'int64' | 'double';
      readonly optional: boolean;
      readonly values: readonly (number | null)[];
    };

export interface ParquetTable {
  readonly columns: readonly ParquetColumn[];
  /** Key-value metadata stored in the footer (e.g. where the table came from). @default none */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Rows per row group. @default 65536 */
  readonly rowGroupRows?: number;
}

const MAGIC = Buffer.from('PAR1', 'ascii');
const CREATED_BY = 'beamline parquet-writer 1';
const DEFAULT_ROW_GROUP_ROWS = 65_536;

/** parquet.thrift enums. */
const TYPE = { int32: 1, int64: 2, double: 5, string: 6 } as const;
const REPETITION = { REQUIRED: 0, OPTIONAL: 1 } as const;
const ENCODING = { PLAIN: 0, RLE: 3 } as const;
const CONVERTED_UTF8 = 0;
const CODEC_UNCOMPRESSED = 0;
const PAGE_DATA = 0;

export function encodeParquet(table: ParquetTable): Buffer {
  const rows = validate(table);
  const groupRows = table.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  if (!Number.isInteger(groupRows) || groupRows < 1)
    throw invalidTable(`rowGroupRows: invalid value ${groupRows}; pass a whole number of rows >= 1`, { field: 'rowGroupRows' });

  const parts: Buffer[] = [MAGIC];
  let offset = MAGIC.length;
  const rowGroups: ThriftStruct[] = [];
  // No rows: no row groups (the schema alone), as other writers do.
  for (let from = 0; from < rows; from += groupRows) {
    const to = Math.min(rows, from + groupRows);
    const chunks: ThriftStruct[] = [];
    const groupStart = offset;
    let groupBytes = 0;
    for (const column of table.columns) {
      const page = encodePage(column, from, to);
      const header = new CompactWriter()
        .struct([
          [1, { i32: PAGE_DATA }],
          [2, { i32: page.length }],
          [3, { i32: page.length }],
          [
            5,
            {
              struct: [
                [1, { i32: to - from }],
                [2, { i32: ENCODING.PLAIN }],
                [3, { i32: ENCODING.RLE }],
                [4, { i32: ENCODING.RLE }],
              ],
            },
          ],
        ])
        .bytes();
      const pageOffset = offset;
      const size = header.length + page.length;
      parts.push(header, page);
      offset += size;
      groupBytes += size;
      chunks.push([
        [2, { i64: pageOffset }],
        [
          3,
          {
            struct: [
              [1, { i32: TYPE[column.type] }],
              [2, { list: { i32: column.optional ? [ENCODING.PLAIN, ENCODING.RLE] : [ENCODING.PLAIN] } }],
              [3, { list: { binary: [column.name] } }],
              [4, { i32: CODEC_UNCOMPRESSED }],
              [5, { i64: to - from }],
              [6, { i64: size }],
              [7, { i64: size }],
              [9, { i64: pageOffset }],
            ],
          },
        ],
      ]);
    }
    rowGroups.push([
      [1, { list: { struct: chunks } }],
      [2, { i64: groupBytes }],
      [3, { i64: to - from }],
      [5, { i64: groupStart }],
      [6, { i64: groupBytes }],
    ]);
  }

  const schema: ThriftStruct[] = [
    [
      [4, { binary: 'schema' }],
      [5, { i32: table.columns.length }],
    ],
    ...table.columns.map((c): ThriftStruct => [
      [1, { i32: TYPE[c.type] }],
      [3, { i32: c.optional ? REPETITION.OPTIONAL : REPETITION.REQUIRED }],
      [4, { binary: c.name }],
      [6, c.type === 'string' ? { i32: CONVERTED_UTF8 } : undefined],
      // LogicalType is a union: field 1 is STRING (an empty struct).
      [10, c.type === 'string' ? { struct: [[1, { struct: [] }]] } : undefined],
    ]),
  ];
  const metadata = Object.entries(table.metadata ?? {});
  const footer = new CompactWriter()
    .struct([
      [1, { i32: 1 }],
      [2, { list: { struct: schema } }],
      [3, { i64: rows }],
      [4, { list: { struct: rowGroups } }],
      [
        5,
        metadata.length === 0
          ? undefined
          : {
              list: {
                struct: metadata.map(([k, v]): ThriftStruct => [
                  [1, { binary: k }],
                  [2, { binary: v }],
                ]),
              },
            },
      ],
      [6, { binary: CREATED_BY }],
    ])
    .bytes();
  const length = Buffer.alloc(4);
  length.writeUInt32LE(footer.length, 0);
  parts.push(footer, length, MAGIC);
  return Buffer.concat(parts);
}

/** Checks names, lengths and every value against its column's type; returns the row count. */
function validate(table: ParquetTable): number {
  if (table.columns.length === 0) throw invalidTable('columns: a Parquet file needs at least one column', { field: 'columns' });
  const rows = table.columns[0]?.values.length ?? 0;
  const seen = new Set<string>();
  for (const c of table.columns) {
    const field = `columns.${c.name}`;
    if (c.name === '') throw invalidTable('columns: a column has an empty name; name every column', { field: 'columns' });
    if (seen.has(c.name)) throw invalidTable(`${field}: the name is used twice; column names must be unique`, { field });
    seen.add(c.name);
    if (!(c.type in TYPE))
      throw invalidTable(`${field}.type: invalid value ${JSON.stringify(c.type)}; use string, int32, int64 or double`, { field });
    if (c.values.length !== rows)
      throw invalidTable(`${field}: ${c.values.length} values where the first column has ${rows}; every column needs one value per row`, {
        field,
      });
    for (let i = 0; i < c.values.length; i++) {
      const v = c.values[i];
      if (v === null) {
        if (!c.optional) throw invalidTable(`${field}[${i}]: null in a required column; declare the column optional`, { field, row: i });
        continue;
      }
      const bad =
        c.type === 'string'
          ? typeof v !== 'string'
          : c.type === 'double'
            ? typeof v !== 'number'
            : typeof v !== 'number' || !Number.isSafeInteger(v) || (c.type === 'int32' && (v < -(2 ** 31) || v >= 2 ** 31));
      if (bad)
        throw invalidTable(
          `${field}[${i}]: invalid value ${String(v)} for a ${c.type} column; pass a ${c.type} or null (optional columns)`,
          {
            field,
            row: i,
          },
        );
    }
  }
  return rows;
}

/** A v1 data page's body: definition levels (optional columns), then the non-null values. */
function encodePage(c: ParquetColumn, from: number, to: number): Buffer {
  const values = c.values.slice(from, to);
  const present = values.filter((v) => v !== null);
  const parts: Buffer[] = [];
  if (c.optional) {
    const levels = rleLevels(values.map((v) => (v === null ? 0 : 1)));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(levels.length, 0);
    parts.push(len, levels);
  }
  if (c.type === 'string') {
    for (const s of present as string[]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length, 0);
      parts.push(len, b);
    }
  } else {
    const width = c.type === 'int32' ? 4 : 8;
    const out = Buffer.alloc(present.length * width);
    (present as number[]).forEach((v, i) => {
      if (c.type === 'int32') out.writeInt32LE(v, i * 4);
      else if (c.type === 'int64') out.writeBigInt64LE(BigInt(v), i * 8);
      else out.writeDoubleLE(v, i * 8);
    });
    parts.push(out);
  }
  return Buffer.concat(parts);
}

/** Levels 0/1 as RLE runs of the hybrid encoding: varint(run length << 1), then the value byte. */
function rleLevels(levels: readonly number[]): Buffer {
  const out: number[] = [];
  let i = 0;
  while (i < levels.length) {
    let j = i;
    while (j < levels.length && levels[j] === levels[i]) j++;
    let header = (j - i) << 1;
    while (header >= 0x80) {
      out.push((header & 0x7f) | 0x80);
      header >>>= 7;
    }
    out.push(header, levels[i] as number);
    i = j;
  }
  return Buffer.from(out);
}

/**
 * Parquet files from our writer (#23) opened by the reference reader, pyarrow (Apache Arrow's C++
 * Parquet implementation), in the project's own Python environment (scripts/mlserver). Every
 * value, type, null and the footer metadata come back as written; a training-set export reads as
 * the same rows as its CSV.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatTrainingSet } from '../../functions/runtime/index.ts';
import { encodeParquet, type ParquetColumn } from '../../functions/parquet/index.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'bl-parquet-'));

/** Reads a file with pyarrow; prints its schema, row groups, metadata and rows as JSON. */
const READ = `
import json, sys
import pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
print(json.dumps({
  "schema": [[fl.name, str(fl.type), fl.nullable] for fl in t.schema],
  "row_groups": f.metadata.num_row_groups,
  "metadata": {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items()},
  "rows": t.to_pylist(),
}))
`;

interface Read {
  schema: [string, string, boolean][];
  row_groups: number;
  metadata: Record<string, string>;
  rows: Record<string, unknown>[];
}

async function pyarrowRead(file: string): Promise<Read> {
  // The first use builds the venv (pip, a few minutes on a cold cache).
  const { stdout } = await run('scripts/mlserver', ['python', '-c', READ, file], { timeout: 540_000, maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Read;
}

describe('Parquet files read by pyarrow (#23)', () => {
  it('gives back every value, type and null, across row groups', { timeout: 600_000 }, async () => {
    const n = 2_500;
    const strings = ['', 'plain', 'ü € 😀', 'comma, "quote"\nnewline', 'x'.repeat(300)];
    const doubles = [0, -0, 1e-300, -1.7976931348623157e308, 0.1 + 0.2, 5e-324, 123456.789];
    const columns: ParquetColumn[] = [
      { name: 'id', type: 'string', optional: false, values: Array.from({ length: n }, (_, i) => `${strings[i % strings.length]}#${i}`) },
      // Nulls in runs and alone: all-null stretches, alternating, none.
      {
        name: 'key',
        type: 'string',
        optional: true,
        values: Array.from({ length: n }, (_, i) => (i % 7 < 3 || i % 11 === 0 ? null : `k${i}`)),
      },
      {
        name: 'at_ms',
        type: 'int64',
        optional: false,
        values: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? Number.MAX_SAFE_INTEGER - i : -i * 1_000_003)),
      },
      { name: 'x', type: 'double', optional: false, values: Array.from({ length: n }, (_, i) => doubles[i % doubles.length] as number) },
      {
        name: 'label',
        type: 'int32',
        optional: true,
        values: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : i % 2 === 0 ? -(2 ** 31) : 2 ** 31 - 1)),
      },
      { name: 'empty', type: 'double', optional: true, values: Array.from({ length: n }, () => null) },
    ];
    const file = join(dir, 'edge.parquet');
    writeFileSync(file, encodeParquet({ columns, rowGroupRows: 1_000, metadata: { source: 'test', ü: 'ß' } }));
    const read = await pyarrowRead(file);
    expect(read.schema).toEqual([
      ['id', 'string', false],
      ['key', 'string', true],
      ['at_ms', 'int64', false],
      ['x', 'double', false],
      ['label', 'int32', true],
      ['empty', 'double', true],
    ]);
    expect(read.row_groups).toBe(3);
    expect(read.metadata).toEqual({ source: 'test', ü: 'ß' });
    expect(read.rows).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const want = Object.fromEntries(columns.map((c) => [c.name, c.values[i]]));
      expect(read.rows[i], `row ${i}`).toEqual(want);
    }
    // -0 survives (toEqual treats 0 and -0 as different).
    expect(Object.is(read.rows[1]?.['x'], -0)).toBe(true);
  });

  it('reads a training-set export as the rows of its CSV, typed', { timeout: 600_000 }, async () => {
    const set = {
      names: ['amount', 'velocity_1h'],
      rows: Array.from({ length: 300 }, (_, i) => ({
        eventId: `ev-${i}`,
        key: i % 10 === 0 ? null : `card-${i % 17}`,
        eventTimeMs: 1_796_000_000_000 + i * 250,
        values: { amount: i * 1.25, velocity_1h: i % 9 },
        row: new Float32Array([i * 1.25, i % 9]),
        label: i % 4 === 0 ? null : i % 4 === 1,
        labelSource: i % 4 === 0 ? null : 'review',
      })),
      eventsRead: 300,
      skipped: 0,
      labelled: 225,
    };
    const file = join(dir, 'train.parquet');
    writeFileSync(file, formatTrainingSet(set, 'parquet'));
    const read = await pyarrowRead(file);
    expect(read.schema.map(([name, type]) => `${name}:${type}`)).toEqual([
      'event_id:string',
      'key:string',
      'event_time_ms:int64',
      'amount:double',
      'velocity_1h:double',
      'label:int32',
      'label_source:string',
    ]);
    expect(JSON.parse(read.metadata['beamline.features'] ?? '[]')).toEqual(set.names);
    // The CSV of the same set, parsed back: every cell equals the Parquet value (empty = null).
    const csv = (formatTrainingSet(set, 'csv') as string).trim().split('\n');
    const header = (csv[0] as string).split(',');
    csv.slice(1).forEach((line, i) => {
      const cells = line.split(',');
      const row = read.rows[i] as Record<string, unknown>;
      header.forEach((name, c) => {
        const v = row[name];
        expect(v === null ? '' : String(v), `${name} of row ${i}`).toBe(cells[c]);
      });
    });
  });
});

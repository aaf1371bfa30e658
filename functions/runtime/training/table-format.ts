/**
 * #23: a training set as a file: CSV (header row; an unlabelled row has an empty `label`), JSON
 * Lines (one object per row; `label` null when unlabelled) or Apache Parquet (typed columns:
 * strings, int64 event time, float64 features, int32 label; nulls where unlabelled). Columns:
 * event_id, key, event_time_ms, the features in the model's order, label (1 fraud, 0 honest),
 * label_source.
 */
import { encodeParquet, type ParquetColumn } from '../../parquet/index.ts';
import { TRAINING_ERROR_CODES, trainingError } from './errors.ts';
import type { TrainingSet } from './training-set.ts';

export type TableFormat = 'csv' | 'jsonl' | 'parquet';

/** The format a file name asks for. */
export function tableFormatOf(path: string): TableFormat {
  if (path.endsWith('.csv')) return 'csv';
  if (path.endsWith('.jsonl') || path.endsWith('.ndjson')) return 'jsonl';
  if (path.endsWith('.parquet')) return 'parquet';
  throw trainingError(
    TRAINING_ERROR_CODES.invalidOutput,
    `-o: unsupported output ${JSON.stringify(path)}; name the file .csv, .jsonl or .parquet`,
    {
      field: 'output',
      value: path,
    },
  );
}

/** The file's content: text for CSV and JSON Lines, bytes for Parquet. */
export function formatTrainingSet(set: TrainingSet, format: 'csv' | 'jsonl'): string;
export function formatTrainingSet(set: TrainingSet, format: TableFormat): string | Buffer;
export function formatTrainingSet(set: TrainingSet, format: TableFormat): string | Buffer {
  const names = set.names;
  if (format === 'parquet') return trainingParquet(set);
  if (format === 'jsonl') {
    return set.rows
      .map((r) =>
        JSON.stringify({
          event_id: r.eventId,
          key: r.key,
          event_time_ms: r.eventTimeMs,
          ...r.values,
          label: r.label === null ? null : r.label ? 1 : 0,
          label_source: r.labelSource,
        }),
      )
      .map((l) => `${l}\n`)
      .join('');
  }
  const header = ['event_id', 'key', 'event_time_ms', ...names, 'label', 'label_source'].map(csvCell).join(',');
  const lines = set.rows.map((r) =>
    [
      csvCell(r.eventId),
      csvCell(r.key ?? ''),
      String(r.eventTimeMs),
      ...names.map((n) => num(r.values[n] ?? 0)),
      r.label === null ? '' : r.label ? '1' : '0',
      csvCell(r.labelSource ?? ''),
    ].join(','),
  );
  return `${header}\n${lines.map((l) => `${l}\n`).join('')}`;
}

function trainingParquet(set: TrainingSet): Buffer {
  const rows = set.rows;
  const columns: ParquetColumn[] = [
    { name: 'event_id', type: 'string', optional: false, values: rows.map((r) => r.eventId) },
    { name: 'key', type: 'string', optional: true, values: rows.map((r) => r.key) },
    { name: 'event_time_ms', type: 'int64', optional: false, values: rows.map((r) => r.eventTimeMs) },
    // As in the CSV: a value that is not finite is written as 0.
    ...set.names.map((n): ParquetColumn => ({
      name: n,
      type: 'double',
      optional: false,
      values: rows.map((r) => finite(r.values[n] ?? 0)),
    })),
    { name: 'label', type: 'int32', optional: true, values: rows.map((r) => (r.label === null ? null : r.label ? 1 : 0)) },
    { name: 'label_source', type: 'string', optional: true, values: rows.map((r) => r.labelSource) },
  ];
  return encodeParquet({ columns, metadata: { 'beamline.table': 'training-set', 'beamline.features': JSON.stringify(set.names) } });
}

function finite(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

/** Full precision: the float64 value the handler computed, so a reader gets it back exactly. */
function num(v: number): string {
  return String(finite(v));
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * #23: a training set as a file: CSV (header row; an unlabelled row has an empty `label`) or
 * JSON Lines (one object per row; `label` null when unlabelled). Columns: event_id, key,
 * event_time_ms, the features in the model's order, label (1 fraud, 0 honest), label_source.
 */
import { TRAINING_ERROR_CODES, trainingError } from './errors.ts';
import type { TrainingSet } from './training-set.ts';

export type TableFormat = 'csv' | 'jsonl';

/** The format a file name asks for. */
export function tableFormatOf(path: string): TableFormat {
  if (path.endsWith('.csv')) return 'csv';
  if (path.endsWith('.jsonl') || path.endsWith('.ndjson')) return 'jsonl';
  const fix = path.endsWith('.parquet')
    ? 'Parquet is not written yet (#23): use .csv or .jsonl (pandas.read_csv reads the CSV directly)'
    : 'name the file .csv or .jsonl';
  throw trainingError(TRAINING_ERROR_CODES.invalidOutput, `-o: unsupported output ${JSON.stringify(path)}; ${fix}`, {
    field: 'output',
    value: path,
  });
}

export function formatTrainingSet(set: TrainingSet, format: TableFormat): string {
  const names = set.names;
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

/** Full precision: the float64 value the handler computed, so a reader gets it back exactly. */
function num(v: number): string {
  return Number.isFinite(v) ? String(v) : '0';
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

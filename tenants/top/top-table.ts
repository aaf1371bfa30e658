/** The text view of `beamline top`: columns, sorting, and one frame of the table. */
import { BREAKER_STATE_TEXT, BREAKER_STATES } from '../../functions/control-plane.ts';
import type { TopRow } from './top-rows.ts';

export interface Column {
  /** What `--sort` takes. */
  readonly key: string;
  readonly header: string;
  readonly width: number;
  readonly sortValue: (r: TopRow) => number | string | null;
  readonly text: (r: TopRow) => string;
}

const dash = '-';
const num = (v: number | null, digits = 0): string => (v === null ? dash : v >= 10_000 ? `${(v / 1000).toFixed(0)}k` : v.toFixed(digits));
const ms = (v: number | null): string => (v === null ? dash : v < 10 ? v.toFixed(1) : v.toFixed(0));

export const COLUMNS: readonly Column[] = [
  {
    key: 'namespace',
    header: 'NAMESPACE',
    width: 28,
    sortValue: (r) => `${r.tenant}/${r.namespace}`,
    text: (r) => `${r.tenant}/${r.namespace}`,
  },
  { key: 'workers', header: 'WRK', width: 3, sortValue: (r) => r.workers, text: (r) => String(r.workers) },
  {
    key: 'in',
    header: 'IN/s',
    width: 7,
    sortValue: (r) => r.inputPerSec ?? r.brokerInputPerSec,
    text: (r) => num(r.inputPerSec ?? r.brokerInputPerSec, 1),
  },
  { key: 'backlog', header: 'BACKLOG', width: 7, sortValue: (r) => r.backlog, text: (r) => num(r.backlog) },
  { key: 'p50', header: 'P50ms', width: 6, sortValue: (r) => r.decisionP50Ms, text: (r) => ms(r.decisionP50Ms) },
  { key: 'p99', header: 'P99ms', width: 6, sortValue: (r) => r.decisionP99Ms, text: (r) => ms(r.decisionP99Ms) },
  { key: 'slo', header: 'SLOms', width: 5, sortValue: (r) => r.sloBoundMs, text: (r) => ms(r.sloBoundMs) },
  {
    key: 'fill',
    header: 'FILL',
    width: 4,
    sortValue: (r) => r.batchFill,
    text: (r) => (r.batchFill === null ? dash : `${Math.round(r.batchFill * 100)}%`),
  },
  {
    key: 'models',
    header: 'MODELS',
    width: 26,
    sortValue: (r) => r.models.map((m) => `${m.model}@${m.version}`).join(' '),
    text: (r) =>
      r.models.length === 0
        ? dash
        : r.models.map((m) => `${m.version}${m.route === 'live' ? '' : ` ${m.route}`} ${Math.round(m.share * 100)}%`).join(', '),
  },
  {
    key: 'breaker',
    header: 'BREAKER',
    width: 9,
    sortValue: (r) => (r.breaker === null ? null : BREAKER_STATES.map((s) => BREAKER_STATE_TEXT[s]).indexOf(r.breaker)),
    text: (r) => r.breaker ?? dash,
  },
  {
    key: 'review',
    header: 'REVIEW',
    width: 6,
    sortValue: (r) => r.reviewQueue ?? r.reviewPerSec,
    text: (r) => (r.reviewQueue !== null ? String(r.reviewQueue) : r.reviewPerSec === null ? dash : `${num(r.reviewPerSec, 1)}/s`),
  },
  { key: 'dlq', header: 'DLQ/s', width: 6, sortValue: (r) => r.deadLetterPerSec, text: (r) => num(r.deadLetterPerSec, 2) },
  { key: 'repl', header: 'REPL', width: 6, sortValue: (r) => r.replicationBacklog, text: (r) => num(r.replicationBacklog) },
];

export const SORT_KEYS: readonly string[] = COLUMNS.map((c) => c.key);

/** Rows by one column: names ascending, figures descending (busiest first), unknowns last. */
export function sortRows(rows: readonly TopRow[], key: string): TopRow[] {
  const col = COLUMNS.find((c) => c.key === key) ?? (COLUMNS[0] as Column);
  const name = (r: TopRow): string => `${r.tenant}/${r.namespace}`;
  return [...rows].sort((a, b) => {
    const x = col.sortValue(a);
    const y = col.sortValue(b);
    if (x === y) return name(a).localeCompare(name(b));
    if (x === null) return 1;
    if (y === null) return -1;
    if (typeof x === 'string' || typeof y === 'string') return String(x).localeCompare(String(y));
    return y - x;
  });
}

const fit = (s: string, w: number, left: boolean): string => {
  const cut = s.length > w ? `${s.slice(0, w - 1)}~` : s;
  return left ? cut.padEnd(w) : cut.padStart(w);
};

/** The table, headed by a status line; the sort column's header is marked with `v`. */
export function renderTable(rows: readonly TopRow[], sortKey: string, status: string): string {
  const line = (cells: readonly string[]): string => cells.join(' ').trimEnd();
  const header = line(
    COLUMNS.map((c, i) =>
      fit(c.key === sortKey ? `${c.header}v` : c.header, c.width, i === 0 || c.key === 'models' || c.key === 'breaker'),
    ),
  );
  const body = sortRows(rows, sortKey).map((r) =>
    line(COLUMNS.map((c, i) => fit(c.text(r), c.width, i === 0 || c.key === 'models' || c.key === 'breaker'))),
  );
  return [
    status,
    '',
    header,
    ...(body.length === 0 ? ['(no namespaces: pass --metrics-url of a running worker, or --admin-url)'] : body),
  ].join('\n');
}

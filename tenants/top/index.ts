export { parsePromText, type Sample } from './prom-text.ts';
export { buildRows, histogramQuantile, type BrokerFigures, type ModelShare, type RowInputs, type Scrape, type TopRow } from './top-rows.ts';
export { COLUMNS, renderTable, SORT_KEYS, sortRows, type Column } from './top-table.ts';

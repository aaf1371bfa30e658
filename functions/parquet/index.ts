/** #23: tables as Apache Parquet files (no I/O: bytes out). */
export { encodeParquet, type ParquetColumn, type ParquetColumnType, type ParquetTable } from './parquet-writer.ts';
export { PARQUET_ERROR_CODES } from './errors.ts';

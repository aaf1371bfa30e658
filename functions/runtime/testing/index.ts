/** Test without a broker: an in-process driver for handlers and windows. */
export {
  createTestDriver,
  type EmittedOutput,
  type LateRecord,
  type SendMeta,
  type TestDriver,
  type TestDriverOptions,
  type RecordDriverOptions,
  type AggregateDriverOptions,
  type WindowDriverOptions,
} from './test-driver.ts';

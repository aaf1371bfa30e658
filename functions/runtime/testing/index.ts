/** Test without a broker: an in-process driver for handlers and windows, and in-memory worker I/O. */
export {
  createTestDriver,
  type AggregateDriverOptions,
  type EmittedOutput,
  type LateRecord,
  type RecordDriverOptions,
  type SendMeta,
  type TestDriver,
  type TestDriverOptions,
  type WindowDriverOptions,
} from './test-driver.ts';
export { InMemoryWorkerIo, type InjectedCommitFailure, type InMemoryInput } from './in-memory-io.ts';

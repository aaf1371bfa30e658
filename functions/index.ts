/**
 * The handler author's surface: what a `process` / `processWindow` module and its unit tests
 * need (records and ctx, window and state types, errors, the clock, the test driver). The
 * platform's own parts (Pulsar, the worker, registry, governance, telemetry) are in
 * control-plane.ts. Named exports only (house style rule 1).
 */
export { BeamlineError, CORE_ERROR_CODES, ConfigError, formatValue, isRetriable } from './errors.ts';
export { FakeClock, systemClock, type Clock, type TimerHandle } from './clock.ts';
export { parseJson, stringifyJson } from './json.ts';
export type {
  EmitFn,
  EmitOptions,
  EmitTarget,
  EventRecord,
  HandlerContext,
  ModelScore,
  ProcessFn,
  ProcessWindowFn,
  RecordMeta,
  ScoreFn,
  ScoreOptions,
  WindowInfo,
} from './contract.ts';
// What ctx hands a handler: its logger and metrics, and its keyed state.
export type { CounterMetric, GaugeMetric, HistogramMetric, Labels, Logger, Metrics } from './telemetry.ts';
export { STATE_ERROR_CODES, StateLimitError, type KeyValueStore, type PutOptions } from './state/index.ts';
// Windows a handler declares next to `processWindow`.
export { WINDOW_ERROR_CODES, WindowValueError } from './windows/index.ts';
export type { AggregateName, AggregateSpec, LateReason, WindowBounds, WindowOptions, WindowResult, WindowType } from './windows/index.ts';
export type { WorkerHandler } from './runtime/index.ts';
// Test a handler without a broker.
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
} from './runtime/testing/index.ts';

/** Event-time windows: assigners, watermarks, aggregations and the operator. Pure: no I/O. */
export {
  builtInReducer,
  compileWindowOptions,
  type AggregateSpec,
  type WindowConfig,
  type WindowOptions,
  type WindowType,
} from './window-options.ts';
export { assignWindows, type WindowBounds } from './assigners.ts';
export {
  WindowOperator,
  type WatermarkRecord,
  type WindowRecord,
  type WindowOperatorOptions,
  type WindowStoreValue,
} from './window-operator.ts';
export { lateEventReason, type LateEvent, type LateReason, type WindowEvent, type WindowOutput, type WindowResult } from './types.ts';
export type { Reducer } from './reducer.ts';
export type { AggregateName, DistinctAcc, TimedValue } from './aggregations.ts';
export { WINDOW_ERROR_CODES, WindowValueError } from './errors.ts';

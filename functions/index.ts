/**
 * Beamline's public surface: tenants/, models/, bin/ and users import from here only.
 * Named exports only (house style rule 1).
 */
export { BeamlineError, ConfigError, formatValue, isRetriable } from './errors.ts';
export { FakeClock, systemClock, type Clock, type TimerHandle } from './clock.ts';
export {
  PrometheusMetrics,
  checkMetricName,
  createRootLogger,
  noopMetrics,
  silentLogger,
  type CounterMetric,
  type GaugeMetric,
  type HistogramMetric,
  type Labels,
  type Logger,
  type Metrics,
  type RootLoggerOptions,
} from './telemetry.ts';
export type { EventRecord, HandlerContext, ProcessFn, ProcessWindowFn, RecordMeta } from './contract.ts';

/** Tracing (#22): the OpenTelemetry JS SDK behind telemetry.ts's small `Tracer` interface. */
export { OtlpTracer, type OtlpTracerDeps, type SpanExporter } from './otlp-tracer.ts';
export { compileTracingOptions, type TracingConfig, type TracingOptions } from './tracing-options.ts';
export { MESSAGING, SERVICE_NAME } from './semconv.ts';
export { TRACING_ERROR_CODES } from './errors.ts';

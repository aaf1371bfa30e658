/** Tracing (#22): OTLP export of the spans components start through telemetry.ts's `Tracer`. */
export { OtlpTracer, type OtlpTracerDeps } from './otlp-tracer.ts';
export { compileTracingOptions, type TracingConfig, type TracingOptions } from './tracing-options.ts';
export { encodeSpans, unixNanos, type ExportScope, type FinishedSpan } from './otlp-json.ts';
export { TRACING_ERROR_CODES } from './errors.ts';
export { otlpHttpTransport, TraceExportError, type SpanTransport } from './otlp-http.ts';

/**
 * Finished spans and their OTLP/JSON encoding (opentelemetry-proto's JSON mapping: ids as hex,
 * 64-bit integers as decimal strings, enums as numbers). Pure: no I/O.
 */
import type { AttributeValue, SpanContext, SpanKind } from '../telemetry.ts';

export interface FinishedSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly traceState: string | undefined;
  /** Nanoseconds since the epoch, as decimal text (exact beyond 2^53). */
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly links: readonly SpanContext[];
  readonly error: string | undefined;
}

const KIND: Record<SpanKind, number> = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const STATUS_ERROR = 2;

/** Epoch milliseconds (fractional) as exact decimal nanoseconds. */
export function unixNanos(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const fraction = Math.round((epochMs - whole) * 1e6);
  // A fraction that rounds up to a whole millisecond carries.
  return fraction >= 1e6 ? `${whole + 1}000000` : `${whole}${String(fraction).padStart(6, '0')}`;
}

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };

function anyValue(v: AttributeValue): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

function keyValues(attrs: Readonly<Record<string, AttributeValue>>): Array<{ key: string; value: AnyValue }> {
  return Object.entries(attrs).map(([key, v]) => ({ key, value: anyValue(v) }));
}

export interface ExportScope {
  readonly resource: Readonly<Record<string, AttributeValue>>;
  readonly scopeName: string;
  readonly scopeVersion: string;
}

/** One ExportTraceServiceRequest (OTLP/JSON) for `spans`. */
export function encodeSpans(spans: readonly FinishedSpan[], scope: ExportScope): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: keyValues(scope.resource) },
        scopeSpans: [
          {
            scope: { name: scope.scopeName, version: scope.scopeVersion },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId === undefined ? {} : { parentSpanId: s.parentSpanId }),
              ...(s.traceState === undefined ? {} : { traceState: s.traceState }),
              name: s.name,
              kind: KIND[s.kind],
              startTimeUnixNano: s.startTimeUnixNano,
              endTimeUnixNano: s.endTimeUnixNano,
              attributes: keyValues(s.attributes),
              ...(s.links.length === 0
                ? {}
                : {
                    links: s.links.map((l) => ({
                      traceId: l.traceId,
                      spanId: l.spanId,
                      ...(l.traceState === undefined ? {} : { traceState: l.traceState }),
                    })),
                  }),
              ...(s.error === undefined ? {} : { status: { code: STATUS_ERROR, message: s.error } }),
            })),
          },
        ],
      },
    ],
  });
}

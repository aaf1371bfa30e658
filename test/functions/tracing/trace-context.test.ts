import { describe, expect, it } from 'vitest';
import {
  activeSpanContext,
  formatTraceparent,
  noopTracer,
  parseTraceparent,
  traceContextOf,
  traceProperties,
  withSpanContext,
} from '../../../functions/control-plane.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('W3C trace context', () => {
  it('parses and formats traceparent, keeping tracestate', () => {
    const ctx = parseTraceparent(`00-${TRACE}-${SPAN}-01`, 'rojo=00f067aa0ba902b7');
    expect(ctx).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true, traceState: 'rojo=00f067aa0ba902b7' });
    expect(formatTraceparent(ctx!)).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(traceProperties(ctx)).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'rojo=00f067aa0ba902b7' });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.sampled).toBe(false);
    // A later version may append fields; the flags' other bits are ignored.
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-03-extra`)?.sampled).toBe(true);
  });

  it('refuses what the spec says to ignore, so a new trace starts instead', () => {
    for (const bad of [
      '',
      'garbage',
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}`,
    ]) {
      expect(parseTraceparent(bad), bad).toBeUndefined();
    }
    expect(traceContextOf({})).toBeUndefined();
    expect(traceContextOf(undefined)).toBeUndefined();
    expect(traceProperties(undefined)).toEqual({});
  });

  it('the no-op tracer records nothing but passes the parent on', () => {
    const parent = parseTraceparent(`00-${TRACE}-${SPAN}-01`);
    const span = noopTracer().startSpan('x', { parent });
    expect(span.recording).toBe(false);
    expect(span.context).toEqual(parent);
    expect(noopTracer().startSpan('root').context).toBeUndefined();
  });

  it('withSpanContext makes a context active across awaits', async () => {
    const ctx = parseTraceparent(`00-${TRACE}-${SPAN}-01`);
    expect(activeSpanContext()).toBeUndefined();
    const seen = await withSpanContext(ctx, async () => {
      await Promise.resolve();
      await new Promise((r) => setImmediate(r));
      return activeSpanContext();
    });
    expect(seen).toEqual(ctx);
    expect(activeSpanContext()).toBeUndefined();
  });
});

/**
 * #22: a review decision continues the item's trace: a `review decide` span under the context the
 * worker put on the review item, carried by the outcome's review and audit messages. In-memory
 * client (the real topic round trip is in test/integration/model-decisions.test.ts).
 */
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../functions/index.ts';
import { OtlpTracer, traceContextOf, type PulsarClient } from '../../functions/control-plane.ts';
import { ReviewQueue } from '../../review/index.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

interface Sent {
  topic: string;
  properties: Record<string, string> | undefined;
}

function fakeClient(sent: Sent[]): PulsarClient {
  const item = {
    eventId: 'ev-1',
    key: 'card-1',
    status: 'open',
    score: 0.6,
    modelVersion: 'fraud@1',
    policyVersion: 'p1',
    features: null,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    eventTime: 1,
  };
  let left = 1;
  return {
    createReader: async () => ({
      hasMessageAvailable: async () => left > 0,
      readNext: async () => {
        left--;
        return { payload: Buffer.from(JSON.stringify(item)), publishTimeMs: 1_000, properties: { traceparent: TRACEPARENT } };
      },
      close: async () => undefined,
    }),
    getSchema: async () => undefined,
    createProducer: async (o: { topic: string }) => ({
      send: async (m: { properties?: Record<string, string> }) => void sent.push({ topic: o.topic, properties: m.properties }),
      close: async () => undefined,
    }),
  } as unknown as PulsarClient;
}

describe('review decisions continue the trace (#22)', () => {
  it('writes the outcome to review (and its label) under a review decide span of the item trace', async () => {
    const sent: Sent[] = [];
    const exporter = new InMemorySpanExporter();
    const tracer = new OtlpTracer({ endpoint: 'http://c:4318', sampleRatio: 0 }, { exporter });
    const q = await ReviewQueue.open({
      client: fakeClient(sent),
      tenant: 't',
      namespace: 'ns',
      analyst: 'ana',
      clock: new FakeClock(5_000),
      tracer,
    });
    await q.decide('4bf92f3577b34da6a3ce929d0e0e4736', 'rejected');
    await tracer.flush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('review decide');
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span?.attributes['beamline.review.status']).toBe('rejected');
    const carried = sent.filter((s) => s.topic.endsWith('/review') || s.topic.endsWith('/audit') || s.topic.endsWith('/labels'));
    // #21: no audit record from the analyst: the worker writes it from the outcome.
    expect(carried.map((s) => s.topic)).toEqual(['persistent://t/ns/review', 'persistent://t/ns/labels']);
    for (const s of carried) {
      expect(traceContextOf(s.properties)).toMatchObject({
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: span?.spanContext().spanId,
      });
    }
    await q.close();
    await tracer.close();
  });

  it('with tracing off, passes the item context on unchanged', async () => {
    const sent: Sent[] = [];
    const q = await ReviewQueue.open({
      client: fakeClient(sent),
      tenant: 't',
      namespace: 'ns',
      analyst: 'ana',
      clock: new FakeClock(5_000),
    });
    await q.decide('ev-1', 'approved');
    const review = sent.find((s) => s.topic.endsWith('/review'));
    expect(review?.properties?.['traceparent']).toBe(TRACEPARENT);
    await q.close();
  });
});

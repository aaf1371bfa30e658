import { describe, expect, it } from 'vitest';
import { avroSchema } from '../../../functions/pulsar/index.ts';
import { Ingress, NamespaceWorker, schemaDecoder } from '../../../functions/runtime/index.ts';
import { InMemoryWorkerIo } from '../../../functions/runtime/testing/index.ts';
import { PrometheusMetrics } from '../../../functions/control-plane.ts';

const schema = avroSchema<{ card: string; amount: number }>({
  type: 'record',
  name: 'Payment',
  fields: [
    { name: 'card', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
});

/** The value of one sample line of a Prometheus exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('worker SLI metrics', () => {
  it('count records received and decided, and settlements slower than the namespace bound', async () => {
    const io = new InMemoryWorkerIo();
    const metrics = new PrometheusMetrics();
    const w = NamespaceWorker.create(
      { tenant: 't', namespace: 'ns', batchMaxRecords: 10, batchMaxWaitMs: 0, httpPort: -1, sloDecisionLatencyMs: 250 },
      {
        io,
        metrics,
        ingress: new Ingress({ decode: schemaDecoder(schema) }),
        handler: { process: (r, ctx) => ctx.emit({ card: r.value.card }) },
      },
    );
    const ok = (card: string, ageMs: number): { key: string; payload: Buffer; eventTimeMs: number } => ({
      key: card,
      payload: schema.encode({ card, amount: 1 }),
      eventTimeMs: Date.now() - ageMs,
    });
    await w.start();
    // The in-memory broker stamps publish time with event time: one record is a minute old already.
    io.push(ok('a', 0), ok('b', 0), ok('c', 60_000), { key: 'x', payload: Buffer.from([0xff]) });
    await io.acknowledged(4);
    await w.drain();
    const text = await metrics.render();
    const l = '{tenant="t",namespace="ns"}';
    expect(sample(text, `beamline_records_received_total${l}`)).toBe(4);
    expect(sample(text, `beamline_records_decided_total${l}`)).toBe(3);
    expect(sample(text, `beamline_decisions_slow_total${l}`)).toBeGreaterThanOrEqual(1);
    expect(sample(text, `beamline_decision_latency_seconds_count${l}`)).toBe(4);
    expect(sample(text, `beamline_slo_decision_latency_bound_seconds${l}`)).toBe(0.25);
    // The bound is a bucket, so the SLO is answerable from the histogram too.
    expect(text).toContain('beamline_decision_latency_seconds_bucket{le="0.25",tenant="t",namespace="ns"}');
  });

  it('refuses a bound that is not a positive whole number of milliseconds', () => {
    expect(() =>
      NamespaceWorker.create(
        { tenant: 't', namespace: 'ns', httpPort: -1, sloDecisionLatencyMs: 0 },
        { io: new InMemoryWorkerIo(), ingress: new Ingress({ decode: schemaDecoder(schema) }), handler: { process: () => undefined } },
      ),
    ).toThrow(/sloDecisionLatencyMs/);
  });
});

import { describe, expect, it } from 'vitest';
import type { ModelScore, ScoreFn } from '../../../functions/contract.ts';
import { avroSchema } from '../../../functions/pulsar/index.ts';
import { ACTION_SCHEMA, PREDICTION_SCHEMA, REVIEW_ITEM_SCHEMA } from '../../../functions/runtime/output-schemas.ts';
import { createScoringHandler, type FeatureSpec } from '../../../functions/runtime/scoring-handler.ts';
import { createTestDriver } from '../../../functions/runtime/testing/index.ts';

interface Payment {
  card: string;
  amount: number;
  merchant: string;
  lat: number;
  lon: number;
}

const features: FeatureSpec[] = [
  { name: 'amount', field: 'amount' },
  { name: 'count_1h', window: { lookbackMs: 3_600_000, aggregate: 'count' } },
  { name: 'sum_1h', window: { lookbackMs: 3_600_000, aggregate: 'sum', field: 'amount' } },
  { name: 'merchants_1h', window: { lookbackMs: 3_600_000, aggregate: 'distinct', field: 'merchant' } },
  { name: 'amount_vs_mean_24h', ratioToMean: { field: 'amount', lookbackMs: 86_400_000 } },
  { name: 'secs_since_last', secondsSinceLast: { capSeconds: 86_400 } },
  { name: 'speed_kmh', speedKmh: { lat: 'lat', lon: 'lon' } },
];

/** A fake model: the score is the row's `amount_vs_mean_24h` feature scaled into [0, 1]. */
function fakeScorer(rows: Float32Array[]): ScoreFn {
  return async (f) => {
    const row = Float32Array.from(f);
    rows.push(row);
    const score = Math.min(1, (row[4] ?? 0) / 10);
    const s: ModelScore = { kind: 'scored', score, outputs: Float32Array.of(score), modelVersion: 'fraud@1' };
    return s;
  };
}

const paris = { lat: 48.8566, lon: 2.3522 };
const nyc = { lat: 40.7128, lon: -74.006 };

describe('built-in scoring handler', () => {
  it('computes windowed features per key, scores, and routes decisions by band', async () => {
    const rows: Float32Array[] = [];
    const driver = createTestDriver<Payment>({
      process: createScoringHandler<Payment>({ features, policy: { reviewAtScore: 0.5, blockAtScore: 0.9, version: 'p7' } }),
      score: fakeScorer(rows),
    });
    const t0 = driver.clock.now();
    await driver.send({ card: 'c1', amount: 10, merchant: 'm1', ...paris }, { key: 'c1', eventTimeMs: t0 });
    await driver.send({ card: 'c1', amount: 10, merchant: 'm2', ...paris }, { key: 'c1', eventTimeMs: t0 + 60_000 });
    // A spike 6x the card's mean: review band.
    await driver.send({ card: 'c1', amount: 60, merchant: 'm2', ...paris }, { key: 'c1', eventTimeMs: t0 + 120_000 });
    // Another card is independent.
    await driver.send({ card: 'c2', amount: 5, merchant: 'm9', ...paris }, { key: 'c2', eventTimeMs: t0 + 130_000 });
    // New York ten minutes after Paris, at 40x the mean: impossible travel and a block.
    await driver.send({ card: 'c1', amount: 1000, merchant: 'm3', ...nyc }, { key: 'c1', eventTimeMs: t0 + 720_000 });

    expect(Array.from(rows[0] ?? [])).toEqual([10, 0, 0, 0, 1, 86_400, 0]);
    expect(Array.from(rows[1] ?? [])).toEqual([10, 1, 10, 1, 1, 60, 0]);
    expect(rows[2]?.[1]).toBe(2);
    expect(rows[2]?.[2]).toBe(20);
    expect(rows[2]?.[3]).toBe(2);
    expect(rows[2]?.[4]).toBeCloseTo(6);
    expect(Array.from(rows[3] ?? []).slice(0, 3)).toEqual([5, 0, 0]);
    expect(rows[4]?.[6]).toBeGreaterThan(30_000); // ~5840 km in 10 minutes

    const preds = driver.outputs.filter((o) => o.to === 'predictions').map((o) => o.value as Record<string, unknown>);
    expect(preds.map((p) => p['decision'])).toEqual(['approve', 'approve', 'review', 'approve', 'block']);
    expect(preds[4]).toMatchObject({ key: 'c1', modelVersion: 'fraud@1', policyVersion: 'p7', fallbackReason: null });
    // Every record matches the Avro schema the tenant's topics enforce.
    const schemas: Record<string, object> = { predictions: PREDICTION_SCHEMA, actions: ACTION_SCHEMA, review: REVIEW_ITEM_SCHEMA };
    for (const o of driver.outputs) {
      const schema = schemas[o.to];
      if (schema !== undefined) expect(() => avroSchema(schema).encode(o.value as Record<string, unknown>), o.to).not.toThrow();
    }
    expect(driver.outputs.filter((o) => o.to === 'actions').map((o) => (o.value as Record<string, unknown>)['action'])).toEqual(['block']);
    expect(driver.outputs.filter((o) => o.to === 'review')).toHaveLength(1);
  });

  it('keeps its history across a restart', async () => {
    const rows: Float32Array[] = [];
    const driver = createTestDriver<Payment>({ process: createScoringHandler<Payment>({ features }), score: fakeScorer(rows) });
    const t0 = driver.clock.now();
    await driver.send({ card: 'c1', amount: 10, merchant: 'm1', ...paris }, { key: 'c1', eventTimeMs: t0 });
    driver.restart();
    await driver.send({ card: 'c1', amount: 10, merchant: 'm1', ...paris }, { key: 'c1', eventTimeMs: t0 + 1000 });
    expect(rows[1]?.[1]).toBe(1);
  });

  it('falls back to the breaker decision when no model is loaded', async () => {
    const driver = createTestDriver<Payment>({ process: createScoringHandler<Payment>({ features }) });
    await driver.send({ card: 'c1', amount: 10, merchant: 'm1', ...paris }, { key: 'c1' });
    expect(driver.outputs[0]?.value).toMatchObject({ decision: 'review', score: null, fallbackReason: 'no-model' });
  });

  it('refuses bad feature specs naming the field', () => {
    expect(() => createScoringHandler({ features: [] })).toThrow(/scoring.features/);
    expect(() => createScoringHandler({ features: [{ name: 'x', window: { lookbackMs: 0, aggregate: 'count' } }] })).toThrow(/lookbackMs/);
    expect(() => createScoringHandler({ features: [{ name: 's', window: { lookbackMs: 10, aggregate: 'sum' } }] })).toThrow(/window.field/);
    expect(() =>
      createScoringHandler({
        features: [
          { name: 'a', field: 'a' },
          { name: 'a', field: 'b' },
        ],
      }),
    ).toThrow(/unique/);
  });
});

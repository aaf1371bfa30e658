/**
 * The ride-safety example's handler (#19, tenants/examples/ride-safety.handler.ts) through the
 * worker's own handler engine (test driver, fake clock): the window features per trip, the
 * model's score deciding, review cases and actions from 0.5, and the worker file that runs it
 * (central's registry from an edge).
 */
import { describe, expect, it } from 'vitest';
import { createTestDriver, type ModelScore, type ProcessFn } from '../../functions/index.ts';
import { loadWorkerFile } from '../../functions/control-plane.ts';
import { readWorkerFile } from '../../cli/worker-file.ts';
import {
  RIDE_RISK_FEATURES,
  nextTripState,
  process as rideSafety,
  type RideTelemetry,
} from '../../tenants/examples/ride-safety.handler.ts';

const T0 = 1_800_000_000_000;
const point = (over: Partial<RideTelemetry> = {}): RideTelemetry => ({
  tripId: 'trip-1',
  riderId: 'r',
  driverId: 'd',
  lat: 40.7,
  lon: -74,
  speedMps: 12,
  headingDeg: 0,
  accelX: 0.2,
  accelY: 0,
  accelZ: 9.8,
  timestamp: T0,
  ...over,
});

describe('ride-safety handler', () => {
  it('computes harsh events and over-speed over a 30 s window per trip, and the distance off the route', () => {
    let { state, features } = nextTripState(undefined, point({ accelX: -6 }), T0);
    expect(features).toEqual({ harshEvents: 1, overSpeedMps: 0, routeDeviationMeters: 0 });
    ({ state, features } = nextTripState(state, point({ lat: 40.701, accelY: 5, speedMps: 40 }), T0 + 10_000));
    expect(features.harshEvents).toBe(2);
    expect(features.overSpeedMps).toBeCloseTo(7, 5);
    // Heading north from the origin: the route. 0.001 deg of longitude east at 40.7N is ~84 m off it.
    ({ state, features } = nextTripState(state, point({ lat: 40.702, lon: -73.999 }), T0 + 20_000));
    expect(features.routeDeviationMeters).toBeGreaterThan(80);
    expect(features.routeDeviationMeters).toBeLessThan(90);
    // 35 s after the first point: it left the window; the second is still in it.
    ({ features } = nextTripState(state, point({ lat: 40.703 }), T0 + 35_000));
    expect(features.harshEvents).toBe(1);
    expect(features.overSpeedMps).toBeCloseTo(7, 5);
  });

  it('scores the feature row with the model, emits a prediction per point and, from 0.5, a review case and an action', async () => {
    const rows: number[][] = [];
    const score = async (row: ArrayLike<number>): Promise<ModelScore> => {
      rows.push(Array.from(row));
      const p = 1 / (1 + Math.exp(-(1.2 * (row[0] ?? 0) - 3.5)));
      return { kind: 'scored', score: p, outputs: new Float32Array([p]), modelVersion: 'ride-risk@2' };
    };
    const d = createTestDriver<RideTelemetry>({ process: rideSafety as ProcessFn<RideTelemetry>, score });
    for (let i = 0; i < 5; i++)
      await d.send(point({ accelX: -7, lat: 40.7 + i * 0.0005, timestamp: T0 + i * 1000 }), { key: 'trip-1', eventTimeMs: T0 + i * 1000 });
    expect(rows.map((r) => r[0])).toEqual([1, 2, 3, 4, 5]);
    expect(rows[0]).toHaveLength(RIDE_RISK_FEATURES.length);
    const out = d.takeOutputs();
    const predictions = out
      .filter((o) => o.to === 'predictions')
      .map((o) => o.value as { crashProbability: number; harshEvents: number; modelVersion: string; timestamp: number });
    expect(predictions.map((p) => p.harshEvents)).toEqual([1, 2, 3, 4, 5]);
    expect(predictions.every((p) => p.modelVersion === 'ride-risk@2')).toBe(true);
    expect(predictions[4]?.timestamp).toBe(T0 + 4000);
    // 1.2 * 3 - 3.5 > 0 from the third harsh point on: review cases and actions.
    expect(out.filter((o) => o.to === 'review').map((o) => (o.value as { tripId: string }).tripId)).toEqual(['trip-1', 'trip-1', 'trip-1']);
    expect(out.filter((o) => o.to === 'actions').map((o) => (o.value as { action: string }).action)).toEqual([
      'CHECK_IN',
      'CHECK_IN',
      'DISPATCH_HELP',
    ]);
    expect(out.every((o) => o.key === 'trip-1')).toBe(true);
  });

  it('decides by a rule and says so when no model is live', async () => {
    const d = createTestDriver<RideTelemetry>({ process: rideSafety as ProcessFn<RideTelemetry> });
    await d.send(point(), { key: 'trip-2' });
    expect(d.takeOutputs()).toMatchObject([
      { to: 'predictions', value: { tripId: 'trip-1', crashProbability: 0, modelVersion: 'fallback:no-model' } },
    ]);
  });

  it("the example worker file runs it with central's registry", async () => {
    const file = await readWorkerFile('tenants/examples/ride-safety.worker.yaml');
    const loaded = await loadWorkerFile(file, 'tenants/examples');
    expect(loaded.registry).toEqual({ name: 'ride-risk', namespace: 'central' });
    expect(loaded.guarantee).toBe('at-least-once');
    await expect(
      loadWorkerFile({ ...file, registry: { name: 'ride-risk', namespace: 'central/x' } }, 'tenants/examples'),
    ).rejects.toMatchObject({ code: 'BL_CONFIG_INVALID', field: 'registry.namespace' });
  });
});

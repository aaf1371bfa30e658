/**
 * The demo's features: what the built-in scoring handler computes per card, and so what the
 * model is trained on. One list for training and serving keeps them identical.
 */
import type { FeatureSpec } from '../functions/control-plane.ts';

export const DEMO_FEATURES: readonly FeatureSpec[] = [
  { name: 'amount', field: 'amount', log: true },
  { name: 'amount_vs_mean_24h', ratioToMean: { field: 'amount', lookbackMs: 86_400_000 }, log: true },
  { name: 'count_1m', window: { lookbackMs: 60_000, aggregate: 'count' } },
  { name: 'count_10m', window: { lookbackMs: 600_000, aggregate: 'count' } },
  { name: 'count_1h', window: { lookbackMs: 3_600_000, aggregate: 'count' } },
  { name: 'sum_10m', window: { lookbackMs: 600_000, aggregate: 'sum', field: 'amount' }, log: true },
  { name: 'merchants_10m', window: { lookbackMs: 600_000, aggregate: 'distinct', field: 'merchantId' } },
  { name: 'secs_since_last', secondsSinceLast: { capSeconds: 86_400 }, log: true },
  { name: 'speed_kmh', speedKmh: { lat: 'lat', lon: 'lon' }, log: true },
];

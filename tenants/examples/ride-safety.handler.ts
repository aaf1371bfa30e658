/**
 * Ride safety at the edge (#19, tenants/ride-safety.yaml): an edge worker scores each trip's
 * GPS/accelerometer telemetry within seconds, close to the rider; geo-replication carries every
 * decision (predictions), review case and audit record to central, and central's `ride-risk`
 * model back to every edge (`registry: { name: ride-risk, namespace: central }` in
 * ride-safety.worker.yaml).
 *
 * Per trip (the message key), a sliding look-back window over the trip's recent points, kept in
 * keyed state so it survives restarts and needs no timers, gives three features:
 * - `harsh_events_30s`: points in the last 30 s whose horizontal acceleration exceeds 4 m/s^2
 *   (harsh braking, acceleration or cornering; the phone's z axis carries gravity);
 * - `over_speed_mps`: the highest speed above 33 m/s (about 120 km/h) in the window, else 0;
 * - `route_deviation_km`: how far this point lies off the trip's route, taken as the line from
 *   the trip's first point through the first point at least 50 m away (a stand-in for the
 *   dispatched route, which the telemetry does not carry).
 * The model turns them into a crash probability. Every point gets a prediction; from 0.5 on, a
 * review case for central's trust team and a local action (CHECK_IN, or DISPATCH_HELP from 0.9).
 */
import type { EventRecord, HandlerContext } from '../../functions/index.ts';

/** The feature row, in the order the `ride-risk` model's feature schema names them. */
export const RIDE_RISK_FEATURES = Object.freeze(['harsh_events_30s', 'over_speed_mps', 'route_deviation_km'] as const);

const LOOKBACK_MS = 30_000;
const HISTORY_MAX = 64;
const HARSH_ACCEL_MPS2 = 4;
const SPEED_LIMIT_MPS = 33;
const ROUTE_ANCHOR_M = 50;
const REVIEW_AT = 0.5;
const DISPATCH_AT = 0.9;
const EARTH_RADIUS_M = 6_371_000;

/** tenants/schemas/ride-telemetry.avsc */
export interface RideTelemetry {
  tripId: string;
  riderId: string;
  driverId: string;
  lat: number;
  lon: number;
  speedMps: number;
  headingDeg: number | null;
  accelX: number;
  accelY: number;
  accelZ: number;
  timestamp: number;
}

interface Point {
  t: number;
  speed: number;
  harsh: boolean;
}

interface TripState {
  origin: { lat: number; lon: number };
  /** The first point at least ROUTE_ANCHOR_M from the origin; null until the trip has moved. */
  anchor: { lat: number; lon: number } | null;
  recent: Point[];
}

export interface RideFeatures {
  readonly harshEvents: number;
  readonly overSpeedMps: number;
  readonly routeDeviationMeters: number;
}

export async function process(record: EventRecord<RideTelemetry>, ctx: HandlerContext): Promise<void> {
  const e = record.value;
  const key = record.key ?? e.tripId;
  const t = record.eventTimeMs;
  const before = ctx.state.get(key) as TripState | undefined;
  const { state, features } = nextTripState(before, e, t);
  const row = [features.harshEvents, features.overSpeedMps, features.routeDeviationMeters / 1000];
  const s = await ctx.score(row, { key });
  // No model (none live yet, or the breaker open): a rule stands in, and the version says so.
  const crashProbability = s.kind === 'scored' ? s.score : features.harshEvents >= 3 ? REVIEW_AT : 0;
  const modelVersion = s.kind === 'scored' ? s.modelVersion : `fallback:${s.reason}`;
  const timestamp = e.timestamp;
  ctx.emit(
    {
      tripId: e.tripId,
      crashProbability,
      routeDeviationMeters: features.routeDeviationMeters,
      harshEvents: features.harshEvents,
      modelVersion,
      timestamp,
    },
    { to: 'predictions' },
  );
  if (crashProbability >= REVIEW_AT) {
    ctx.emit({ tripId: e.tripId, driverId: e.driverId, crashProbability, lat: e.lat, lon: e.lon, timestamp }, { to: 'review' });
    ctx.emit({ tripId: e.tripId, action: crashProbability >= DISPATCH_AT ? 'DISPATCH_HELP' : 'CHECK_IN', timestamp }, { to: 'actions' });
  }
  ctx.state.put(key, state);
}

/** The trip's next window state and this point's features (pure, for unit tests). */
export function nextTripState(before: TripState | undefined, e: RideTelemetry, t: number): { state: TripState; features: RideFeatures } {
  const here = { lat: e.lat, lon: e.lon };
  const origin = before?.origin ?? here;
  let anchor = before?.anchor ?? null;
  if (anchor === null && metersBetween(origin, here) >= ROUTE_ANCHOR_M) anchor = here;
  const harsh = Math.hypot(e.accelX, e.accelY) > HARSH_ACCEL_MPS2;
  const recent = [...(before?.recent ?? []).filter((p) => p.t > t - LOOKBACK_MS && p.t <= t), { t, speed: e.speedMps, harsh }].slice(
    -HISTORY_MAX,
  );
  const features: RideFeatures = {
    harshEvents: recent.filter((p) => p.harsh).length,
    overSpeedMps: Math.max(0, ...recent.map((p) => p.speed - SPEED_LIMIT_MPS)),
    routeDeviationMeters: anchor === null ? 0 : crossTrackMeters(origin, anchor, here),
  };
  return { state: { origin, anchor, recent }, features };
}

/** Local flat-earth (equirectangular) metres east/north of `ref`; fine over a city. */
function toXY(ref: { lat: number; lon: number }, p: { lat: number; lon: number }): [number, number] {
  const rad = Math.PI / 180;
  return [(p.lon - ref.lon) * rad * Math.cos(ref.lat * rad) * EARTH_RADIUS_M, (p.lat - ref.lat) * rad * EARTH_RADIUS_M];
}

function metersBetween(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const [x, y] = toXY(a, b);
  return Math.hypot(x, y);
}

/** Distance of `p` from the line through `a` and `b`. */
function crossTrackMeters(a: { lat: number; lon: number }, b: { lat: number; lon: number }, p: { lat: number; lon: number }): number {
  const [bx, by] = toXY(a, b);
  const [px, py] = toXY(a, p);
  const len = Math.hypot(bx, by);
  return len === 0 ? 0 : Math.abs(bx * py - by * px) / len;
}

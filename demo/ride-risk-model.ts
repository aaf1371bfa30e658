/**
 * The ride-safety example's model (#19): a logistic model over the ride-safety handler's feature
 * row (tenants/examples/ride-safety.handler.ts: harsh_events_30s, over_speed_mps,
 * route_deviation_km) -> crash probability, written as an ONNX file that `beamline model push`
 * takes. The weights are set, not trained (the example has no labelled crashes); three presets
 * differ enough that the version deciding a trip shows in its scores.
 *
 *   node demo/ride-risk-model.ts OUT.onnx [--preset 1|2|3]
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { denseGraph, encodeOnnxModel } from '../functions/control-plane.ts';

export interface RideRiskWeights {
  readonly harshEvents: number;
  readonly overSpeedMps: number;
  readonly routeDeviationKm: number;
  readonly bias: number;
}

export const RIDE_RISK_PRESETS: Readonly<Record<'1' | '2' | '3', RideRiskWeights>> = Object.freeze({
  '1': Object.freeze({ harshEvents: 0.9, overSpeedMps: 0.25, routeDeviationKm: 1.5, bias: -4 }),
  '2': Object.freeze({ harshEvents: 1.2, overSpeedMps: 0.3, routeDeviationKm: 2, bias: -3.5 }),
  '3': Object.freeze({ harshEvents: 1.5, overSpeedMps: 0.4, routeDeviationKm: 2.5, bias: -3 }),
});

/** ONNX bytes of sigmoid(w . features + bias). */
export function rideRiskOnnx(w: RideRiskWeights): Buffer {
  return Buffer.from(
    encodeOnnxModel(
      denseGraph(
        3,
        [
          {
            kernel: new Float32Array([w.harshEvents, w.overSpeedMps, w.routeDeviationKm]),
            bias: new Float32Array([w.bias]),
            activation: 'sigmoid',
          },
        ],
        'ride_risk',
      ),
    ),
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { preset: { type: 'string', default: '1' } } });
  const out = positionals[0];
  const preset = RIDE_RISK_PRESETS[values.preset as '1' | '2' | '3'];
  if (out === undefined || preset === undefined) {
    process.stderr.write('usage: node demo/ride-risk-model.ts OUT.onnx [--preset 1|2|3]\n');
    process.exit(2);
  }
  writeFileSync(out, rideRiskOnnx(preset));
  process.stdout.write(`${out}: ride-risk preset ${values.preset} ${JSON.stringify(preset)}\n`);
}

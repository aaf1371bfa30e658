import { describe, expect, it } from 'vitest';
import { PrometheusMetrics } from '../../../../functions/control-plane.ts';
import {
  ModelVersionMetrics,
  applyRolloutChange,
  emptyRollout,
  type RolloutState,
} from '../../../../functions/runtime/model-registry/index.ts';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ModelVersionMetrics', () => {
  it('exports traffic share by route, zeroing versions no longer routed', async () => {
    const m = new PrometheusMetrics();
    const mv = new ModelVersionMetrics(m, 'fraud', () => undefined);
    let r: RolloutState = applyRolloutChange(emptyRollout('fraud'), { type: 'promoted', version: '1' }, { atMs: 0, by: 't' });
    r = applyRolloutChange(r, { type: 'canary-set', version: '2', percent: 10 }, { atMs: 0, by: 't' });
    mv.routed(r);
    let text = await m.render();
    expect(sample(text, 'beamline_model_traffic_ratio{model="fraud",version="1",route="live"}')).toBeCloseTo(0.9, 12);
    expect(sample(text, 'beamline_model_traffic_ratio{model="fraud",version="2",route="canary"}')).toBeCloseTo(0.1, 12);
    r = applyRolloutChange(r, { type: 'promoted', version: '2' }, { atMs: 0, by: 't' });
    mv.routed(r);
    text = await m.render();
    expect(sample(text, 'beamline_model_traffic_ratio{model="fraud",version="1",route="live"}')).toBe(0);
    expect(sample(text, 'beamline_model_traffic_ratio{model="fraud",version="2",route="live"}')).toBe(1);
  });

  it('records confidence per version, and drift only for versions with a training baseline', async () => {
    const m = new PrometheusMetrics();
    const uniform = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`score_bin_${i}`, 0.1]));
    const mv = new ModelVersionMetrics(m, 'fraud', (v) => (v === '1' ? uniform : {}));
    // Version 1 scores everything above 0.9 against a uniform baseline: a large shift.
    for (let i = 0; i < 200; i++) {
      mv.scored('1', 0.95);
      mv.scored('2', 0.95);
    }
    const text = await m.render();
    expect(sample(text, 'beamline_model_score_ratio_count{model="fraud",version="1"}')).toBe(200);
    expect(sample(text, 'beamline_model_score_ratio_bucket{le="0.9",model="fraud",version="1"}')).toBe(0);
    const psi = sample(text, 'beamline_model_score_drift_ratio{model="fraud",version="1"}');
    expect(psi).toBeGreaterThan(0.25);
    expect(sample(text, 'beamline_model_score_drift_ratio{model="fraud",version="2"}')).toBeUndefined();
  });
});

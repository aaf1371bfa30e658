import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { BeamlineError } from '../../../functions/errors.ts';
import {
  InferenceEngine,
  ModelHost,
  createRuntime,
  sampleOnnxMlp,
  sampleRows,
  type Score,
  type Scorer,
} from '../../../functions/inference/index.ts';
import { PrometheusMetrics } from '../../../functions/telemetry.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A scorer whose output per row is the row's first feature divided by 10; can be told to fail. */
function fakeScorer(): Scorer & { calls: number[][]; failing: boolean } {
  const s = {
    calls: [] as number[][],
    failing: false,
    async predict(batch: Float32Array, shape: readonly number[]) {
      s.calls.push([...shape]);
      if (s.failing) throw new BeamlineError('BL_INFERENCE_PREDICT_FAILED', 'injected failure', { retriable: true });
      const n = shape[0] ?? 0;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = (batch[i * 2] ?? 0) / 10;
      return { output: out, seconds: 0.002, version: 'v7' };
    },
    describe: () => ({ format: 'onnx' as const, backend: 'ort-cpu' as const, rowShape: [2], outputsPerRow: 1 }),
  };
  return s;
}

function first(s: Score): number | string {
  return s.kind === 'scored' ? Number((s.outputs[0] ?? NaN).toFixed(4)) : String(s.decision['decision']);
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe('InferenceEngine patterns', () => {
  it('micro-batched: pads to the bucket, answers each record with its own score, records metrics', async () => {
    const clock = new FakeClock();
    const metrics = new PrometheusMetrics();
    const scorer = fakeScorer();
    const engine = new InferenceEngine(scorer, { model: 'm', batching: { maxWaitMs: 5, adaptive: false } }, { clock, metrics });
    closers.push(() => engine.close());
    const ps = [1, 2, 3].map((v) => engine.score(Float32Array.from([v, 0])));
    await clock.advance(5);
    expect((await Promise.all(ps)).map(first)).toEqual([0.1, 0.2, 0.3]);
    expect(scorer.calls).toEqual([[8, 2]]);
    const text = await metrics.render();
    expect(text).toContain('beamline_inference_rows_total{model="m"} 3');
    expect(text).toContain('beamline_inference_batch_seconds_count{model="m",backend="ort-cpu",bucket="8"} 1');
    expect(text).toContain('beamline_inference_score_ratio_count{model="m"} 3');
    expect(text).toContain('beamline_inference_batch_fill_ratio_sum{model="m"} 0.375');
  });

  it('inline: scores one record at once in a batch of one', async () => {
    const scorer = fakeScorer();
    const engine = new InferenceEngine(scorer, {}, { clock: new FakeClock() });
    closers.push(() => engine.close());
    expect(first(await engine.scoreInline(Float32Array.from([4, 0])))).toBe(0.4);
    expect(scorer.calls).toEqual([[1, 2]]);
  });

  it('asynchronous: accepts now, writes the score to the sink later; overload is refused at once', async () => {
    const clock = new FakeClock();
    const written: [string, number | string][] = [];
    const sink = { write: async (key: string, s: Score) => void written.push([key, first(s)]) };
    const engine = new InferenceEngine(fakeScorer(), { batching: { maxWaitMs: 10, maxQueued: 2, adaptive: false } }, { clock });
    closers.push(() => engine.close());
    await engine.scoreAsync('a', Float32Array.from([1, 0]), sink);
    await engine.scoreAsync('b', Float32Array.from([2, 0]), sink);
    await expect(engine.scoreAsync('c', Float32Array.from([3, 0]), sink)).rejects.toMatchObject({
      code: 'BL_INFERENCE_OVERLOADED',
      retriable: true,
    });
    expect(written).toEqual([]);
    await clock.advance(10);
    await flush();
    expect(written).toEqual([
      ['a', 0.1],
      ['b', 0.2],
    ]);
  });

  it('a record with the wrong width is refused with BL_INFERENCE_BAD_INPUT', async () => {
    const engine = new InferenceEngine(fakeScorer(), {}, { clock: new FakeClock() });
    closers.push(() => engine.close());
    await expect(engine.score(new Float32Array(3))).rejects.toMatchObject({ code: 'BL_INFERENCE_BAD_INPUT', retriable: false });
  });

  it('model failures open the breaker and records get the namespace fallback decision', async () => {
    const metrics = new PrometheusMetrics();
    const scorer = fakeScorer();
    scorer.failing = true;
    const engine = new InferenceEngine(
      scorer,
      { model: 'm', breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000, fallback: { decision: 'review' } } },
      { clock: new FakeClock(), metrics },
    );
    closers.push(() => engine.close());
    for (let i = 0; i < 4; i++) expect(first(await engine.scoreInline(Float32Array.from([1, 0])))).toBe('review');
    expect(engine.breakerState).toBe('open');
    // Open: the model is no longer called.
    expect(scorer.calls.length).toBe(2);
    const text = await metrics.render();
    expect(text).toContain('beamline_inference_errors_total{model="m",code="BL_INFERENCE_PREDICT_FAILED"} 2');
    expect(text).toContain('beamline_inference_fallback_rows_total{model="m"} 4');
    expect(text).toContain('beamline_inference_breaker_state{model="m"} 2');
  });

  it('drain finishes queued records, then the engine refuses new ones', async () => {
    const clock = new FakeClock();
    const engine = new InferenceEngine(fakeScorer(), { batching: { maxWaitMs: 1000, adaptive: false } }, { clock });
    const p = engine.score(Float32Array.from([5, 0]));
    await engine.close();
    expect(first(await p)).toBe(0.5);
    await expect(engine.score(Float32Array.from([5, 0]))).rejects.toMatchObject({ code: 'BL_INFERENCE_CLOSED' });
    await engine.close();
  });
});

describe('InferenceEngine over a warm pool', () => {
  it('scores 200 concurrent records through 2 threads, each matching the reference', async () => {
    const artifact = sampleOnnxMlp({ sizes: [8, 16, 1], seed: 4 });
    const host = await ModelHost.create(artifact, { threads: 2, backend: 'ort-cpu', buckets: [1, 8, 32] });
    closers.push(() => host.close());
    const engine = new InferenceEngine(host, { batching: { maxBatchSize: 32, maxWaitMs: 2 } });
    closers.push(() => engine.close());
    const rows = Array.from({ length: 200 }, (_, i) => sampleRows(1, 8, i));
    const scores = await Promise.all(rows.map((r) => engine.score(r)));
    const ref = await createRuntime(artifact, 'ort-cpu');
    const expected = await ref.predict(Float32Array.from(rows.flatMap((r) => Array.from(r))), [200, 8]);
    scores.forEach((s, i) => {
      expect(s.kind).toBe('scored');
      if (s.kind === 'scored') expect(s.outputs[0]).toBeCloseTo(expected[i] ?? NaN, 5);
    });
    await ref.dispose();
  });
});

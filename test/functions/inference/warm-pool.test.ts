import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/errors.ts';
import {
  ModelHost,
  WarmPool,
  compileWarmPoolOptions,
  createRuntime,
  sampleOnnxMlp,
  sampleRows,
  sampleTfjsMlp,
  type PredictResult,
} from '../../../functions/inference/index.ts';
import { PrometheusMetrics } from '../../../functions/telemetry.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('compileWarmPoolOptions', () => {
  it('defaults and validation', () => {
    expect(compileWarmPoolOptions()).toMatchObject({ threads: 1, backend: 'auto', buckets: [1, 8, 32, 128, 512], version: 'v1' });
    expect(() => compileWarmPoolOptions({ threads: 0 })).toThrow(ConfigError);
  });
});

describe('WarmPool', () => {
  it('loads and warms every bucket in each thread before serving, and reports memory', async () => {
    const pool = await WarmPool.create(await sampleTfjsMlp({ sizes: [8, 16, 1] }), {
      threads: 2,
      backend: 'tfjs-wasm',
      buckets: [1, 8, 32],
    });
    closers.push(() => pool.close());
    expect(Object.keys(pool.warmMs).map(Number)).toEqual([1, 8, 32]);
    expect(pool.backendChoice.backend).toBe('tfjs-wasm');
    const rows = sampleRows(8, 8);
    const { output } = await pool.predict(rows, [8, 8]);
    expect(output).toHaveLength(8);
    const mem = await pool.memory();
    expect(mem.perThread).toHaveLength(2);
    expect(mem.totalBytes).toBeGreaterThan(1_000_000);
  });

  it('a model that fails to load fails create with its error code', async () => {
    const err = await WarmPool.create({ format: 'onnx', bytes: Uint8Array.from([9, 9, 9]) }, { backend: 'ort-cpu' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'BL_INFERENCE_NO_BACKEND' });
  });

  it('drain waits for in-flight requests; afterwards requests are refused', async () => {
    const pool = await WarmPool.create(sampleOnnxMlp({ sizes: [8, 4, 1] }), { backend: 'ort-cpu', buckets: [1] });
    closers.push(() => pool.close());
    const inFlight = Array.from({ length: 20 }, (_, i) => pool.predict(sampleRows(1, 8, i), [1, 8]));
    await pool.drain();
    const results = await Promise.all(inFlight);
    expect(results).toHaveLength(20);
    await expect(pool.predict(sampleRows(1, 8), [1, 8])).rejects.toMatchObject({ code: 'BL_INFERENCE_CLOSED' });
  });
});

describe('WarmPool thread failure', () => {
  it('a dying thread fails only its own requests (retriable), traffic moves on and a replacement starts', async () => {
    const metrics = new PrometheusMetrics();
    const workerUrl = new URL('./fixtures/crashy-worker.ts', import.meta.url);
    const pool = await WarmPool.create(sampleOnnxMlp({ sizes: [1, 1] }), { threads: 2, model: 'm' }, { workerUrl, metrics });
    closers.push(() => pool.close());
    const poison = pool.predict(Float32Array.from([666]), [1, 1]);
    await expect(poison).rejects.toMatchObject({ code: 'BL_INFERENCE_WORKER_FAILED', retriable: true });
    // The other thread keeps serving while the replacement starts.
    const ok = await Promise.all([1, 2, 3].map((v) => pool.predict(Float32Array.from([v]), [1, 1])));
    expect(ok.map((r) => r.output[0])).toEqual([2, 4, 6]);
    await pool.settled();
    expect(pool.liveThreads).toBe(2);
    expect(await metrics.render()).toContain('beamline_inference_worker_deaths_total{model="m"} 1');
  });
});

describe('ModelHost.swap', () => {
  it('swapping versions under load drops and duplicates nothing', async () => {
    const v1 = sampleOnnxMlp({ sizes: [8, 16, 1], seed: 1 });
    const v2 = sampleOnnxMlp({ sizes: [8, 16, 1], seed: 2 });
    const metrics = new PrometheusMetrics();
    const host = await ModelHost.create(v1, { threads: 2, backend: 'ort-cpu', buckets: [1, 8], model: 'm', version: 'v1' }, { metrics });
    closers.push(() => host.close());
    const ref1 = await createRuntime(v1, 'ort-cpu');
    const ref2 = await createRuntime(v2, 'ort-cpu');

    const total = 600;
    const pending: Promise<PredictResult>[] = [];
    let swap: Promise<void> | undefined;
    for (let i = 0; i < total; i++) {
      pending.push(host.predict(sampleRows(1, 8, i), [1, 8]));
      if (i === 100) swap = host.swap(v2, 'v2');
      // Yield now and then so requests keep arriving while the new pool warms.
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
      if (i === 400) await swap;
    }
    const results = await Promise.all(pending);
    expect(results).toHaveLength(total);
    const byVersion = { v1: 0, v2: 0 };
    for (const [i, r] of results.entries()) {
      // Each answer is exactly the scoring of its own row by the version that served it.
      const ref = r.version === 'v1' ? ref1 : ref2;
      const expected = await ref.predict(sampleRows(1, 8, i), [1, 8]);
      expect(r.output[0]).toBeCloseTo(expected[0] ?? NaN, 5);
      byVersion[r.version as 'v1' | 'v2']++;
    }
    expect(byVersion.v1).toBeGreaterThan(100);
    expect(byVersion.v2).toBeGreaterThan(0);
    expect(byVersion.v1 + byVersion.v2).toBe(total);
    expect(host.version).toBe('v2');
    expect(host.pool.config.version).toBe('v2');
    expect(await metrics.render()).toMatch(/beamline_inference_pool_memory_bytes\{model="m",version="v2"\} [1-9]/);
    await ref1.dispose();
    await ref2.dispose();
  });

  it('a failed swap leaves traffic on the old version', async () => {
    const host = await ModelHost.create(sampleOnnxMlp({ sizes: [8, 1] }), { backend: 'ort-cpu', buckets: [1] });
    closers.push(() => host.close());
    await expect(host.swap({ format: 'onnx', bytes: Uint8Array.from([1]) }, 'v2')).rejects.toMatchObject({
      code: 'BL_INFERENCE_NO_BACKEND',
    });
    expect(host.version).toBe('v1');
    await expect(host.predict(sampleRows(1, 8), [1, 8])).resolves.toMatchObject({ version: 'v1' });
  });
});

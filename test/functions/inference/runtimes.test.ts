import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BeamlineError, ConfigError } from '../../../functions/errors.ts';
import {
  createRuntime,
  loadRuntime,
  probeWebgpuAdapter,
  sampleMlpLayers,
  sampleOnnxMlp,
  sampleRows,
  sampleTfjsMlp,
  type BackendName,
  type ModelRuntime,
} from '../../../functions/inference/index.ts';
import { PrometheusMetrics } from '../../../functions/telemetry.ts';

const SPEC = { sizes: [8, 16, 16, 1], seed: 3 };
const execFileAsync = promisify(execFile);

/** Plain-JS reference forward pass of the sample MLP. */
function reference(rows: Float32Array, n: number): Float32Array {
  const layers = sampleMlpLayers(SPEC);
  let x = Array.from(rows);
  let width = SPEC.sizes[0] ?? 0;
  for (const l of layers) {
    const units = l.bias.length;
    const y = new Array<number>(n * units).fill(0);
    for (let r = 0; r < n; r++) {
      for (let u = 0; u < units; u++) {
        let s = l.bias[u] ?? 0;
        for (let k = 0; k < width; k++) s += (x[r * width + k] ?? 0) * (l.kernel[k * units + u] ?? 0);
        y[r * units + u] = l.activation === 'relu' ? Math.max(0, s) : l.activation === 'sigmoid' ? 1 / (1 + Math.exp(-s)) : s;
      }
    }
    x = y;
    width = units;
  }
  return Float32Array.from(x);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

describe('backend selection', () => {
  it('auto picks the best ONNX backend that loads and says why, as log and metric', async () => {
    const metrics = new PrometheusMetrics();
    const { runtime, choice } = await loadRuntime(sampleOnnxMlp(SPEC), { model: 'm1', metrics });
    expect(['ort-cuda', 'ort-webgpu', 'ort-cpu']).toContain(choice.backend);
    expect(choice.reason).toMatch(/first of/);
    // Every backend ahead of the chosen one is listed as skipped with its error.
    const order: BackendName[] = ['ort-cuda', 'ort-webgpu', 'ort-cpu'];
    expect(choice.skipped.map((s) => s.backend)).toEqual(order.slice(0, order.indexOf(choice.backend)));
    expect(await metrics.render()).toContain(`beamline_inference_backend_info{model="m1",backend="${choice.backend}"} 1`);
    // A software WebGPU adapter (lavapipe) is never auto-picked; no adapter at all is a load error.
    const adapter = await probeWebgpuAdapter();
    const webgpu = choice.skipped.find((s) => s.backend === 'ort-webgpu');
    if (adapter?.software === true) expect(webgpu?.error).toMatch(/^software WebGPU adapter/);
    if (adapter === undefined && choice.backend === 'ort-cpu') expect(webgpu?.error).toBeDefined();
    await runtime.dispose();
  });

  it('without a Vulkan loader, WebGPU is skipped with that reason and Dawn is never asked (no native warning on stderr) (#14)', async () => {
    // A child process: Dawn writes its warning from native code, past anything in-process.
    const code = [
      "import { checkGpuHost, loadRuntime, sampleOnnxMlp, sampleTfjsMlp } from './functions/inference/index.ts';",
      'const spec = { sizes: [8, 4, 1], seed: 1 };',
      'const t = await loadRuntime(await sampleTfjsMlp(spec));',
      'const o = await loadRuntime(sampleOnnxMlp(spec));',
      'console.log(JSON.stringify({ vulkan: checkGpuHost().vulkanLoader ?? null, tfjs: t.choice, ort: o.choice }));',
      'await t.runtime.dispose(); await o.runtime.dispose();',
    ].join('\n');
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--input-type=module', '-e', code], { timeout: 120_000 });
    const r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
      vulkan: string | null;
      tfjs: { skipped: { backend: string; error: string }[] };
      ort: { skipped: { backend: string; error: string }[] };
    };
    const vulkanReason = 'no Vulkan loader (libvulkan.so.1): WebGPU runs on Dawn over Vulkan';
    const reasons = [...r.tfjs.skipped, ...r.ort.skipped].filter((s) => s.backend.endsWith('-webgpu')).map((s) => s.error);
    if (r.vulkan === null) {
      expect(reasons).toEqual([vulkanReason, vulkanReason]);
      expect(stderr).not.toMatch(/Vulkan/);
    } else {
      // A host with the loader (a GPU runner, lavapipe): WebGPU is tried, never refused for this.
      expect(reasons).not.toContain(vulkanReason);
    }
  }, 150_000);

  it('honours an explicit override', async () => {
    const { runtime, choice } = await loadRuntime(await sampleTfjsMlp(SPEC), { backend: 'tfjs-cpu' });
    expect(choice).toMatchObject({ backend: 'tfjs-cpu', reason: 'requested by options.backend' });
    expect(runtime.describe()).toMatchObject({ format: 'tfjs-layers', backend: 'tfjs-cpu', rowShape: [8], outputsPerRow: 1 });
    await runtime.dispose();
  });

  it('rejects a backend of the wrong family with a ConfigError', async () => {
    await expect(loadRuntime(sampleOnnxMlp(SPEC), { backend: 'tfjs-wasm' })).rejects.toThrow(ConfigError);
  });

  it('fails with BL_INFERENCE_NO_BACKEND when nothing loads', async () => {
    const err = await loadRuntime({ format: 'onnx', bytes: Uint8Array.from([1, 2, 3]) }, { prefer: ['ort-cpu'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe('BL_INFERENCE_NO_BACKEND');
  });
});

describe('cross-backend equivalence', () => {
  it('the same model scores within 1e-4 of the reference on every available backend', async () => {
    const n = 32;
    const rows = sampleRows(n, 8);
    const expected = reference(rows, n);
    const tfjs = await sampleTfjsMlp(SPEC);
    const onnx = sampleOnnxMlp(SPEC);
    const checked: string[] = [];
    const candidates: [BackendName, () => Promise<ModelRuntime>][] = [
      ['tfjs-cpu', () => createRuntime(tfjs, 'tfjs-cpu')],
      ['tfjs-wasm', () => createRuntime(tfjs, 'tfjs-wasm')],
      ['ort-cpu', () => createRuntime(onnx, 'ort-cpu')],
      ['tfjs-webgpu', () => createRuntime(tfjs, 'tfjs-webgpu')],
      ['ort-webgpu', () => createRuntime(onnx, 'ort-webgpu')],
      ['ort-cuda', () => createRuntime(onnx, 'ort-cuda')],
      ['tfjs-tensorflow', () => createRuntime(tfjs, 'tfjs-tensorflow')],
    ];
    for (const [name, make] of candidates) {
      let rt: ModelRuntime;
      try {
        rt = await make();
      } catch (err) {
        // Optional backends may be absent; the three CPU backends must always work.
        if (['tfjs-cpu', 'tfjs-wasm', 'ort-cpu'].includes(name)) throw err;
        continue;
      }
      const out = await rt.predict(rows, [n, 8]);
      expect(maxAbsDiff(out, expected), name).toBeLessThan(1e-4);
      checked.push(name);
      await rt.dispose();
    }
    // BEAMLINE_EXPECT_BACKENDS (e.g. 'tfjs-webgpu,ort-webgpu' on a GPU or lavapipe runner) makes
    // optional backends mandatory, so a missing driver fails instead of being skipped silently.
    const required = (process.env['BEAMLINE_EXPECT_BACKENDS'] ?? '').split(',').filter((b) => b !== '');
    expect(checked).toEqual(expect.arrayContaining(['tfjs-cpu', 'tfjs-wasm', 'ort-cpu', ...required]));
  });
});

/**
 * TF.js vs the compiled ONNX model (issue #8): for each test model and batch size, rows/s and
 * per-call p50/p99 on the best TF.js backend present (webgpu > wasm > cpu) and on ONNX Runtime
 * cpu, plus ONNX Runtime webgpu when the host has what it needs (see checkGpuHost).
 *
 *   npm run bench -- gpu [--cell-ms 300] [--batches 1,32,512,4096] [--models mlp_s,conv1d,gru] [--ort-threads 1]
 *   node scripts/bench/suites/gpu.ts [same flags]     # standalone: prints JSON
 *
 * Models are built in-process with seeded random weights and compiled with compileTfjsToOnnx,
 * which proves agreement on a probe batch before anything is timed. One call = copy in +
 * predict + read back.
 */
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { checkGpuHost, chooseOnnxProviders, compileTfjsToOnnx } from '../../../functions/inference/compile/index.ts';
import { OrtRuntime, TfjsRuntime, sampleRows, tfjsArtifactFromSave } from '../../../functions/inference/index.ts';
import type { ModelRuntime, TfjsBackend, TfjsLayersArtifact } from '../../../functions/inference/index.ts';
import { silentLogger } from '../../../functions/telemetry.ts';
import type { BenchCell, BenchContext, SuiteResult } from '../suite.ts';

export const needsBroker = false;

type Row = Record<string, BenchCell>;

interface BenchModel {
  readonly name: string;
  readonly rowShape: readonly number[];
  /** Batches measured when no GPU provider is present (sequence models are slow on CPU). */
  readonly cpuBatches: readonly number[];
  build(): tf.LayersModel;
}

const MODELS: readonly BenchModel[] = [
  {
    name: 'mlp_s',
    rowShape: [64],
    cpuBatches: [1, 32, 512, 4096],
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [64], units: 256, activation: 'relu' }),
          tf.layers.dense({ units: 256, activation: 'relu' }),
          tf.layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
      }),
  },
  {
    name: 'conv1d',
    rowShape: [32, 16],
    cpuBatches: [1, 32, 512],
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.conv1d({ inputShape: [32, 16], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tf.layers.maxPooling1d({ poolSize: 2 }),
          tf.layers.conv1d({ filters: 32, kernelSize: 3, activation: 'relu' }),
          tf.layers.globalAveragePooling1d({}),
          tf.layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
      }),
  },
  {
    name: 'gru',
    rowShape: [32, 16],
    cpuBatches: [1, 32, 512],
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.gru({ inputShape: [32, 16], units: 32, recurrentInitializer: 'glorotUniform' }),
          tf.layers.dense({ units: 1, activation: 'sigmoid' }),
        ],
      }),
  },
];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function round(v: number, digits = 3): number {
  return Number(v.toPrecision(digits));
}

/** Closed loop, one call in flight, until `ms` passed and at least 3 calls were timed. */
async function measure(
  call: () => Promise<unknown>,
  rows: number,
  ms: number,
): Promise<{ calls: number; rowsPerS: number; p50Ms: number; p99Ms: number }> {
  await call(); // warm-up: first-call shader compiles and allocations are not what we measure
  const lat: number[] = [];
  const start = performance.now();
  while (performance.now() - start < ms || lat.length < 3) {
    const t0 = performance.now();
    await call();
    lat.push(performance.now() - t0);
  }
  const elapsedS = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { calls: lat.length, rowsPerS: (lat.length * rows) / elapsedS, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
}

function option(ctx: Pick<BenchContext, 'options'>, name: string): string | undefined {
  return ctx.options[name];
}

function numberList(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`batch list ${raw}: pass positive integers like 1,32,512`);
  return list;
}

async function seededArtifact(model: BenchModel): Promise<TfjsLayersArtifact> {
  await tf.setBackend('cpu');
  const m = model.build();
  let seed = 11;
  for (const layer of m.layers) {
    const values = layer.weights.map((w) => tf.randomUniform(w.shape as number[], -0.3, 0.3, 'float32', ++seed));
    if (values.length > 0) layer.setWeights(values);
    for (const v of values) v.dispose();
  }
  let saved: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  m.dispose();
  if (saved === undefined) throw new Error('tfjs save handler was not called');
  return tfjsArtifactFromSave(saved);
}

async function bestTfjs(artifact: TfjsLayersArtifact, allowWebgpu: boolean): Promise<ModelRuntime> {
  const order: TfjsBackend[] = allowWebgpu ? ['webgpu', 'wasm', 'cpu'] : ['wasm', 'cpu'];
  let last: unknown;
  for (const backend of order) {
    try {
      return await TfjsRuntime.create(artifact, backend);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const cellMs = Number(option(ctx, 'cell-ms') ?? 300);
  const ortThreads = Number(option(ctx, 'ort-threads') ?? 1);
  const onlyModels = option(ctx, 'models')?.split(',');
  const batchOverride = numberList(option(ctx, 'batches'));
  const host = checkGpuHost();
  const choice = chooseOnnxProviders({ prefer: 'webgpu' });
  const gpu = choice.providers[0] === 'webgpu';
  const rows: Row[] = [];
  const notes: string[] = [`ORT providers chosen: ${choice.providers.join(',')}`, `gpu host: ${host.message}`];

  for (const model of MODELS.filter((m) => onlyModels === undefined || onlyModels.includes(m.name))) {
    const artifact = await seededArtifact(model);
    const t0 = performance.now();
    const compiled = await compileTfjsToOnnx(artifact, { probeBatch: 16 });
    notes.push(
      `${model.name}: compiled in ${Math.round(performance.now() - t0)} ms, ${compiled.onnx.length} bytes, max |tfjs - onnx| ${compiled.manifest.maxAbsDiff.toExponential(2)} on ${compiled.manifest.probeRows} rows`,
    );
    const runtimes: ModelRuntime[] = [
      await bestTfjs(artifact, gpu),
      await OrtRuntime.create({ format: 'onnx', bytes: compiled.onnx }, 'cpu', { intraOpThreads: ortThreads }),
    ];
    if (gpu) {
      try {
        runtimes.push(await OrtRuntime.create({ format: 'onnx', bytes: compiled.onnx }, 'webgpu'));
      } catch (err) {
        notes.push(`${model.name}: ort-webgpu session failed: ${String(err)}`);
      }
    }
    const batches = batchOverride ?? (gpu ? [1, 32, 512, 4096] : model.cpuBatches);
    const rowSize = model.rowShape.reduce((a, b) => a * b, 1);
    for (const batch of batches) {
      const input = sampleRows(batch, rowSize);
      const shape = [batch, ...model.rowShape];
      let baseline: number | undefined;
      for (const rt of runtimes) {
        ctx.log.info({ model: model.name, backend: rt.describe().backend, batch }, 'measuring');
        const s = await measure(() => rt.predict(input, shape), batch, cellMs);
        baseline ??= s.rowsPerS;
        rows.push({
          model: model.name,
          backend: rt.describe().backend,
          batch,
          calls: s.calls,
          rows_per_s: round(s.rowsPerS),
          p50_ms: round(s.p50Ms),
          p99_ms: round(s.p99Ms),
          vs_tfjs: round(s.rowsPerS / baseline, 2),
        });
      }
    }
    for (const rt of runtimes) await rt.dispose();
  }
  notes.push(
    `cell ${cellMs} ms closed loop, one call in flight; ORT intra-op threads ${ortThreads}; vs_tfjs = rows/s over the TF.js row of the same model and batch`,
  );
  return { rows, notes };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options: Record<string, string> = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a.startsWith('--')) options[a.slice(2)] = argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('--') ? (argv[++i] ?? '') : 'true';
  }
  const result = await run({ suite: 'gpu', serviceUrl: '', adminUrl: '', log: silentLogger, options, resultsDir: '' });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

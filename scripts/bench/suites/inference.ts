/**
 * Inference benchmark (issue #7): rows/s and per-call p50/p99 for batch sizes 1..512 on every
 * backend available here, warm pools of 1 and 2 threads, and the micro-batching gain.
 *
 *   npm run bench -- inference [--cell-ms 300] [--p99-budget-ms 5] [--engine-ms 1500] [--backends tfjs-wasm,ort-cpu]
 *   node scripts/bench/suites/inference.ts [same flags]     # standalone: prints JSON
 *
 * Model: mlp_s (64-256-256-1, relu, sigmoid), built in-process with identical weights for
 * TF.js and ONNX. One call = copy in + predict + read back.
 */
import { pathToFileURL } from 'node:url';
import {
  InferenceEngine,
  ModelHost,
  WarmPool,
  createRuntime,
  probeWebgpuAdapter,
  sampleOnnxMlp,
  sampleRows,
  sampleTfjsMlp,
  type BackendName,
  type ModelArtifact,
} from '../../../functions/inference/index.ts';
import { silentLogger } from '../../../functions/telemetry.ts';
import type { BenchCell, BenchContext, SuiteResult } from '../suite.ts';

export const needsBroker = false;

const SIZES = [64, 256, 256, 1];
const BATCHES = [1, 8, 32, 128, 512];
const ALL_BACKENDS: readonly BackendName[] = [
  'tfjs-cpu',
  'tfjs-wasm',
  'tfjs-webgpu',
  'tfjs-tensorflow',
  'ort-cpu',
  'ort-webgpu',
  'ort-cuda',
];

type Row = Record<string, BenchCell>;

function num(ctx: Pick<BenchContext, 'options'>, name: string, dflt: number): number {
  const raw = ctx.options[name];
  const n = raw === undefined ? dflt : Number(raw);
  if (!Number.isFinite(n)) throw new Error(`--${name}: pass a number`);
  return n;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function round(v: number, digits = 3): number {
  return Number(v.toPrecision(digits));
}

interface Stats {
  calls: number;
  rowsPerS: number;
  p50Ms: number;
  p99Ms: number;
}

/** Closed loop with `concurrency` outstanding calls until `ms` has passed (at least 3 calls). */
async function measure(call: () => Promise<unknown>, rowsPerCall: number, ms: number, concurrency = 1): Promise<Stats> {
  await call(); // not counted: first-call effects are the warm-up's job, not the measurement's
  const lat: number[] = [];
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() - start < ms || lat.length < 3) {
      const t0 = performance.now();
      await call();
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { calls: lat.length, rowsPerS: (lat.length * rowsPerCall) / elapsed, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
}

function artifactFor(backend: BackendName, tfjs: ModelArtifact, onnx: ModelArtifact): ModelArtifact {
  return backend.startsWith('ort-') ? onnx : tfjs;
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const cellMs = num(ctx, 'cell-ms', 300);
  const budgetMs = num(ctx, 'p99-budget-ms', 5);
  const engineMs = num(ctx, 'engine-ms', 1500);
  const wanted = ctx.options['backends']?.split(',') as BackendName[] | undefined;
  const tfjs = await sampleTfjsMlp({ sizes: SIZES, seed: 1 });
  const onnx = sampleOnnxMlp({ sizes: SIZES, seed: 1 });
  const rows: Row[] = [];
  const notes: string[] = [];
  const available: BackendName[] = [];

  // 1. Each backend on this thread, sequential calls.
  const direct = new Map<string, Stats>();
  for (const backend of wanted ?? ALL_BACKENDS) {
    let rt;
    try {
      rt = await createRuntime(artifactFor(backend, tfjs, onnx), backend);
    } catch (err) {
      const msg =
        (err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)).split('\n')[0] ?? '';
      notes.push(`${backend}: unavailable (${(/was false\.\s*(.+)$/.exec(msg)?.[1] ?? msg).slice(0, 120)})`);
      continue;
    }
    available.push(backend);
    for (const batch of BATCHES) {
      const input = sampleRows(batch, SIZES[0] ?? 1);
      const s = await measure(() => rt.predict(input, [batch, SIZES[0] ?? 1]), batch, cellMs);
      direct.set(`${backend}/${batch}`, s);
      rows.push({
        section: 'runtime',
        backend,
        threads: 1,
        batch,
        calls: s.calls,
        rows_per_s: round(s.rowsPerS),
        p50_ms: round(s.p50Ms),
        p99_ms: round(s.p99Ms),
      });
      ctx.log.info({ backend, batch, rowsPerS: Math.round(s.rowsPerS) }, 'runtime cell done');
    }
    await rt.dispose();
  }

  // 2. Micro-batching gain from the runtime table: the largest batch whose p99 fits the budget.
  for (const backend of available) {
    const one = direct.get(`${backend}/1`);
    let chosen = 1;
    for (const b of BATCHES) if ((direct.get(`${backend}/${b}`)?.p99Ms ?? Infinity) <= budgetMs) chosen = b;
    const best = direct.get(`${backend}/${chosen}`);
    if (one === undefined || best === undefined || one.p99Ms > budgetMs) {
      notes.push(`${backend}: batch 1 already misses the ${budgetMs} ms p99 budget`);
      continue;
    }
    rows.push({
      section: 'gain',
      backend,
      threads: 1,
      batch: chosen,
      calls: best.calls,
      rows_per_s: round(best.rowsPerS),
      p50_ms: round(best.p50Ms),
      p99_ms: round(best.p99Ms),
      gain_vs_batch1: round(best.rowsPerS / one.rowsPerS),
    });
  }

  // 3. Warm pools of 1 and 2 threads (the CPU backends only: they are what scales with threads).
  const poolBackends = available.filter((b) => b === 'tfjs-wasm' || b === 'ort-cpu');
  for (const backend of poolBackends) {
    for (const threads of [1, 2]) {
      const pool = await WarmPool.create(artifactFor(backend, tfjs, onnx), { threads, backend, buckets: [1, 32, 512] });
      for (const batch of [1, 32, 512]) {
        const input = sampleRows(batch, SIZES[0] ?? 1);
        const s = await measure(() => pool.predict(input, [batch, SIZES[0] ?? 1]), batch, cellMs, threads * 2);
        rows.push({
          section: 'pool',
          backend,
          threads,
          batch,
          calls: s.calls,
          rows_per_s: round(s.rowsPerS),
          p50_ms: round(s.p50Ms),
          p99_ms: round(s.p99Ms),
        });
      }
      const mem = await pool.memory();
      notes.push(
        `pool ${backend} x${threads}: ${(mem.totalBytes / 2 ** 20).toFixed(1)} MiB JS heap+external (native allocations excluded); warm ms per bucket ${JSON.stringify(Object.fromEntries(Object.entries(pool.warmMs).map(([k, v]) => [k, Math.round(v)])))}`,
      );
      await pool.close();
    }
  }

  // 4. End to end through the engine: 256 concurrent single-record clients, batching vs none.
  for (const backend of poolBackends) {
    const host = await ModelHost.create(artifactFor(backend, tfjs, onnx), { threads: 1, backend, buckets: [1, 8, 32, 128] });
    for (const maxBatchSize of [1, 128]) {
      const engine = new InferenceEngine(
        host,
        { batching: { maxBatchSize, maxWaitMs: 2, buckets: maxBatchSize === 1 ? [1] : [1, 8, 32, 128], maxQueued: 100_000 } },
        { log: silentLogger },
      );
      const row = sampleRows(1, SIZES[0] ?? 1);
      const s = await measure(() => engine.score(row), 1, engineMs, 256);
      rows.push({
        section: 'engine',
        backend,
        threads: 1,
        batch: maxBatchSize,
        calls: s.calls,
        rows_per_s: round(s.rowsPerS),
        p50_ms: round(s.p50Ms),
        p99_ms: round(s.p99Ms),
      });
      await engine.close();
    }
    await host.close();
  }

  notes.push(
    `model mlp_s ${SIZES.join('-')}; cell ${cellMs} ms closed loop; pool cells keep 2 calls per thread outstanding; p99 budget ${budgetMs} ms for the gain rows`,
    'engine rows: 256 concurrent clients each scoring one record at a time through InferenceEngine (maxWaitMs 2) over a 1-thread pool; p50/p99 are per record',
    `backends measured: ${available.join(', ')}`,
  );
  const adapter = await probeWebgpuAdapter();
  if (adapter !== undefined && available.some((b) => b.endsWith('-webgpu'))) {
    notes.push(`WebGPU adapter: ${adapter.description}${adapter.software ? ' (SOFTWARE: CPU emulation, not GPU figures)' : ''}`);
  }
  return { rows, notes };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options: Record<string, string> = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a.startsWith('--')) options[a.slice(2)] = argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('--') ? (argv[++i] ?? '') : 'true';
  }
  const result = await run({ suite: 'inference', serviceUrl: '', adminUrl: '', log: silentLogger, options, resultsDir: '' });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

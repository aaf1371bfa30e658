/**
 * Remote-model benchmark (#25): rows/s and per-record p50/p99 of `InferenceEngine.score()` for
 * one scikit-learn MLP classifier served three ways, in one run, under the same closed-loop load:
 * - through Seldon MLServer (Open Inference Protocol REST) at batch 1 (one request per record),
 * - through MLServer micro-batched (one request per batch of up to --max-batch records),
 * - compiled to ONNX by skl2onnx and scored in-process by ONNX Runtime (CPU), batch 1 and
 *   micro-batched.
 *
 *   npm run bench -- remote [--cell-ms 4000] [--concurrency 64] [--max-batch 64] [--in-flight 4] [--features 16] [--hidden 64]
 *
 * MLServer runs with one process (parallel_workers 0) on loopback; scripts/mlserver builds its
 * venv on first use (minutes).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  InferenceEngine,
  RemoteScorer,
  createRuntime,
  remoteEngineOptions,
  runtimeScorer,
  type InferenceEngineOptions,
  type RemoteModelSpec,
  type Score,
} from '../../../functions/inference/index.ts';
import { silentLogger } from '../../../functions/telemetry.ts';
import { MlserverProcess, prepareMlserverModel } from '../../remote-model/mlserver-process.ts';
import { numberOption, type BenchCell, type BenchContext, type SuiteResult } from '../suite.ts';

export const needsBroker = false;

interface Stats {
  records: number;
  rowsPerS: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (v: number, digits = 3): number => Number(v.toPrecision(digits));

/** `concurrency` records outstanding at all times (as a worker's key lanes keep them) for `ms`. */
async function load(
  score: (row: Float32Array) => Promise<Score>,
  rows: readonly Float32Array[],
  ms: number,
  concurrency: number,
): Promise<Stats> {
  // Warm-up, not counted: connections, first-call effects.
  await Promise.all(rows.slice(0, concurrency).map((r) => score(r)));
  const lat: number[] = [];
  let next = 0;
  let failed = 0;
  const start = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() - start < ms) {
      const row = rows[next++ % rows.length] as Float32Array;
      const t0 = performance.now();
      const s = await score(row);
      lat.push(performance.now() - t0);
      if (s.kind !== 'scored') failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  if (failed > 0) throw new Error(`${failed} records fell back during the measurement: the numbers would be the fallback's`);
  const elapsed = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { records: lat.length, rowsPerS: lat.length / elapsed, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const cellMs = numberOption(ctx, 'cell-ms', 4000);
  const concurrency = numberOption(ctx, 'concurrency', 64);
  const maxBatch = numberOption(ctx, 'max-batch', 64);
  const inFlight = numberOption(ctx, 'in-flight', 4);
  const features = numberOption(ctx, 'features', 16);
  const hidden = numberOption(ctx, 'hidden', 64);
  ctx.log.info({ features, hidden }, 'preparing the MLServer venv and model');
  const dir = await prepareMlserverModel({ features, hidden });
  const server = await MlserverProcess.start(dir);
  const rowsOut: Array<Record<string, BenchCell>> = [];
  const notes: string[] = [];
  try {
    let seed = 3;
    const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed / 2 ** 31);
    const rows = Array.from({ length: 4096 }, () => Float32Array.from({ length: features }, rand));
    const spec = (maxBatchSize: number): RemoteModelSpec => ({
      protocol: 'oip-rest',
      endpoint: server.endpoint,
      model: 'fraud',
      modelVersion: 'v1',
      signature: { input: [features], output: [1] },
      output: { name: 'predict_proba', columns: [1] },
      calls: { maxBatchSize, maxInFlight: inFlight, maxWaitMs: 2, requestTimeoutMs: 5000, readyTimeoutMs: 60_000 },
    });
    const onnx = await createRuntime({ format: 'onnx', bytes: new Uint8Array(readFileSync(join(dir, 'model.onnx'))) }, 'ort-cpu');

    // Same model, both servings: the scores must agree before their speed is compared.
    const probe = await RemoteScorer.connect(spec(64), { log: silentLogger });
    const sample = rows.slice(0, 64);
    const batch = new Float32Array(64 * features);
    sample.forEach((r, i) => batch.set(r, i * features));
    const remoteOut = (await probe.predict(batch, [64, features])).output;
    const localOut = await onnx.predict(batch, [64, features]);
    const maxDiff = Math.max(...Array.from(remoteOut, (v, i) => Math.abs(v - (localOut[i] ?? NaN))));
    notes.push(`MLServer vs in-process ONNX on 64 rows: max |difference| ${maxDiff.toExponential(2)}`);
    if (!(maxDiff < 1e-4)) throw new Error(`MLServer and the ONNX compile disagree (max diff ${maxDiff}): fix the model before timing it`);
    await probe.close();

    const cells: { serving: string; batching: string; make: () => Promise<{ engine: InferenceEngine; close: () => Promise<void> }> }[] = [];
    for (const [batching, size] of [
      ['batch 1', 1],
      ['micro-batched', maxBatch],
    ] as const) {
      cells.push({
        serving: 'mlserver (OIP REST)',
        batching,
        make: async () => {
          const scorer = await RemoteScorer.connect(spec(size), { log: silentLogger });
          const engine = new InferenceEngine(scorer, remoteEngineOptions(scorer, 'bench'));
          return { engine, close: async () => (await engine.close(), await scorer.close()) };
        },
      });
      cells.push({
        serving: 'onnx in-process (ort-cpu)',
        batching,
        make: async () => {
          const options: InferenceEngineOptions = {
            model: 'bench',
            batching: size === 1 ? { maxBatchSize: 1, buckets: [1] } : { maxBatchSize: size, buckets: [1, 8, 32, size], maxWaitMs: 2 },
          };
          const engine = new InferenceEngine(runtimeScorer(onnx), options);
          return { engine, close: () => engine.close() };
        },
      });
    }
    for (const c of cells) {
      const { engine, close } = await c.make();
      try {
        ctx.log.info({ serving: c.serving, batching: c.batching }, 'measuring');
        const s = await load((r) => engine.score(r), rows, cellMs, concurrency);
        rowsOut.push({
          serving: c.serving,
          batching: c.batching,
          max_batch: c.batching === 'batch 1' ? 1 : maxBatch,
          concurrency,
          records: s.records,
          rows_per_s: round(s.rowsPerS),
          p50_ms: round(s.p50Ms),
          p99_ms: round(s.p99Ms),
        });
      } finally {
        await close();
      }
    }
    await onnx.dispose();
    const rate = (serving: string, batching: string): number =>
      Number(rowsOut.find((r) => r.serving === serving && r.batching === batching)?.rows_per_s ?? NaN);
    notes.push(
      `micro-batching gain through MLServer: ${round(rate('mlserver (OIP REST)', 'micro-batched') / rate('mlserver (OIP REST)', 'batch 1'))}x; ` +
        `in-process ONNX over MLServer, micro-batched: ${round(rate('onnx in-process (ort-cpu)', 'micro-batched') / rate('mlserver (OIP REST)', 'micro-batched'))}x`,
    );
    notes.push(
      `model: scikit-learn MLPClassifier ${features}-${hidden}-2 (seeded), P(class 1) as the score; MLServer ${inFlight} requests in flight at most, one process, loopback; ${concurrency} records outstanding`,
    );
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows: rowsOut, notes };
}

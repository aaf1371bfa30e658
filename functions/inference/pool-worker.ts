/**
 * Worker-thread entry of a warm pool: loads the model, warms every bucket size (the first call
 * at a new shape compiles kernels/shaders: up to seconds on WebGPU), then serves batches.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { BeamlineError } from '../errors.ts';
import { loadRuntime } from './backend-selection.ts';
import { INFERENCE_ERROR_CODES } from './errors.ts';
import { rowSize, type ModelRuntime } from './model-runtime.ts';
import type { FromWorker, PoolWorkerData, ToWorker, WorkerMemory } from './pool-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('pool-worker.ts must run in a worker thread');
const data = workerData as PoolWorkerData;

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(msg, transfer);
}

function memory(): WorkerMemory {
  const h = getHeapStatistics();
  return { heapBytes: h.used_heap_size, externalBytes: h.external_memory };
}

function codeOf(err: unknown): string {
  return err instanceof BeamlineError ? err.code : INFERENCE_ERROR_CODES.predictFailed;
}

async function start(): Promise<ModelRuntime | undefined> {
  try {
    const { runtime, choice } = await loadRuntime(data.artifact, {
      backend: data.backend,
      ...(data.prefer === undefined ? {} : { prefer: data.prefer }),
      ortIntraOpThreads: data.ortIntraOpThreads,
      allowSoftwareGpu: data.allowSoftwareGpu,
      model: data.model,
    });
    const desc = runtime.describe();
    const width = rowSize(desc.rowShape);
    const warmMs: Record<number, number> = {};
    for (const bucket of data.buckets) {
      const t0 = performance.now();
      await runtime.predict(new Float32Array(bucket * width), [bucket, ...desc.rowShape]);
      warmMs[bucket] = performance.now() - t0;
    }
    post({ type: 'ready', description: desc, choice, warmMs, memory: memory() });
    return runtime;
  } catch (err) {
    post({ type: 'failed', message: err instanceof Error ? err.message : String(err), code: codeOf(err) });
    return undefined;
  }
}

const runtime = await start();
// Requests are served one at a time: the pool balances across threads, not within one.
let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'close') {
    chain = chain.then(async () => {
      await runtime?.dispose();
      port.close();
    });
    return;
  }
  if (msg.type === 'memory') {
    post({ type: 'memory', id: msg.id, memory: memory() });
    return;
  }
  chain = chain.then(async () => {
    if (runtime === undefined) {
      post({ type: 'error', id: msg.id, message: 'model failed to load', code: INFERENCE_ERROR_CODES.loadFailed });
      return;
    }
    try {
      const t0 = performance.now();
      const output = await runtime.predict(msg.batch, msg.shape);
      const seconds = (performance.now() - t0) / 1000;
      // Copy when the runtime's buffer is a view into a bigger one (tfjs wasm heap): transfer the copy.
      const own = output.byteOffset === 0 && output.byteLength === output.buffer.byteLength ? output : output.slice();
      post({ type: 'result', id: msg.id, output: own, seconds }, [own.buffer as ArrayBuffer]);
    } catch (err) {
      post({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err), code: codeOf(err) });
    }
  });
});

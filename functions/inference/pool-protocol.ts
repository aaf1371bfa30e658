/** Messages between a warm pool and its worker threads (plain data, structured-cloned). */
import type { BackendChoice } from './backend-selection.ts';
import type { BackendName, ModelArtifact, RuntimeDescription } from './model-runtime.ts';

export interface PoolWorkerData {
  readonly artifact: ModelArtifact;
  readonly backend: BackendName | 'auto';
  readonly prefer?: readonly BackendName[];
  readonly buckets: readonly number[];
  readonly ortIntraOpThreads: number;
  readonly allowSoftwareGpu: boolean;
  readonly model: string;
}

export interface WorkerMemory {
  /** V8 heap in use by this worker's isolate plus its external (ArrayBuffer, wasm) memory. */
  readonly heapBytes: number;
  readonly externalBytes: number;
}

export type ToWorker =
  | { readonly type: 'predict'; readonly id: number; readonly batch: Float32Array; readonly shape: readonly number[] }
  | { readonly type: 'memory'; readonly id: number }
  | { readonly type: 'close' };

export type FromWorker =
  | {
      readonly type: 'ready';
      readonly description: RuntimeDescription;
      readonly choice: BackendChoice;
      readonly warmMs: Readonly<Record<number, number>>;
      readonly memory: WorkerMemory;
    }
  | { readonly type: 'failed'; readonly message: string; readonly code: string }
  | { readonly type: 'result'; readonly id: number; readonly output: Float32Array; readonly seconds: number }
  | { readonly type: 'memory'; readonly id: number; readonly memory: WorkerMemory }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly code: string };

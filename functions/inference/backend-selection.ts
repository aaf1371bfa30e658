/**
 * Picks a runtime backend for a model: the first in preference order that loads it, unless the
 * caller names one. The choice and the reason are logged and exported as a metric.
 */
import { BeamlineError, ConfigError } from '../errors.ts';
import { silentLogger, type Logger, type Metrics } from '../telemetry.ts';
import { INFERENCE_ERROR_CODES } from './errors.ts';
import { ORT_BACKENDS, TFJS_BACKENDS } from './model-runtime.ts';
import type { BackendName, ModelArtifact, ModelRuntime, OrtBackend, TfjsBackend } from './model-runtime.ts';
import { OrtRuntime } from './ort-runtime.ts';
import { probeWebgpuAdapter, webgpuImpossibleHere } from './tfjs-backends.ts';
import { TfjsRuntime } from './tfjs-runtime.ts';

export interface LoadRuntimeOptions {
  /** A backend name, or 'auto' for the best that loads. @default 'auto' */
  backend?: BackendName | 'auto';
  /**
   * Preference order for 'auto'. Defaults put native/GPU first: TF.js tensorflow > webgpu >
   * wasm > cpu, ONNX Runtime cuda > webgpu > cpu. (On small MLPs ORT cpu beats ORT webgpu even
   * on an H200 up to batch 4096; override per model when the benchmark says so.)
   * @default TFJS_BACKENDS or ORT_BACKENDS by model format
   */
  prefer?: readonly BackendName[];
  /** Threads per ONNX Runtime session. @default 1 */
  ortIntraOpThreads?: number;
  /**
   * Let 'auto' pick WebGPU on a software adapter (Mesa lavapipe, SwiftShader): correct, but
   * slower than the CPU backends. An explicit `backend` is always honoured.
   * @default false
   */
  allowSoftwareGpu?: boolean;
  /** Label for logs and metrics. @default 'model' */
  model?: string;
  log?: Logger;
  metrics?: Metrics;
}

export interface BackendChoice {
  readonly backend: BackendName;
  /** Human-readable: why this one (and why the ones before it were skipped). */
  readonly reason: string;
  readonly skipped: readonly { readonly backend: BackendName; readonly error: string }[];
}

export interface LoadedRuntime {
  readonly runtime: ModelRuntime;
  readonly choice: BackendChoice;
}

export function backendsFor(format: ModelArtifact['format']): readonly BackendName[] {
  return format === 'onnx' ? ORT_BACKENDS : TFJS_BACKENDS;
}

/** Loads the artifact on one named backend (no fallback). */
export async function createRuntime(artifact: ModelArtifact, backend: BackendName, ortIntraOpThreads = 1): Promise<ModelRuntime> {
  if (!backendsFor(artifact.format).includes(backend)) {
    throw new ConfigError(
      'inference.backend',
      backend,
      `a ${artifact.format} model runs on one of ${backendsFor(artifact.format).join(', ')}`,
    );
  }
  if (artifact.format === 'onnx') {
    return OrtRuntime.create(artifact, backend.slice('ort-'.length) as OrtBackend, { intraOpThreads: ortIntraOpThreads });
  }
  return TfjsRuntime.create(artifact, backend.slice('tfjs-'.length) as TfjsBackend);
}

export async function loadRuntime(artifact: ModelArtifact, options: LoadRuntimeOptions = {}): Promise<LoadedRuntime> {
  const model = options.model ?? 'model';
  const log = (options.log ?? silentLogger).child({ component: 'inference-backend', model });
  const requested = options.backend ?? 'auto';
  const candidates = requested === 'auto' ? (options.prefer ?? backendsFor(artifact.format)) : [requested];
  const skipped: { backend: BackendName; error: string }[] = [];
  for (const backend of candidates) {
    // Without the Vulkan loader WebGPU cannot load; trying prints Dawn's native warning (#14).
    if (backend.endsWith('-webgpu') && webgpuImpossibleHere()) {
      skipped.push({ backend, error: 'no Vulkan loader (libvulkan.so.1): WebGPU runs on Dawn over Vulkan' });
      continue;
    }
    if (requested === 'auto' && backend.endsWith('-webgpu') && !options.allowSoftwareGpu) {
      const adapter = await probeWebgpuAdapter();
      if (adapter?.software === true) {
        skipped.push({ backend, error: `software WebGPU adapter (${adapter.description})` });
        continue;
      }
    }
    try {
      const runtime = await createRuntime(artifact, backend, options.ortIntraOpThreads);
      const reason =
        requested === 'auto'
          ? `first of [${candidates.join(', ')}] that loaded${skipped.length ? `; skipped ${skipped.map((s) => `${s.backend} (${s.error})`).join(', ')}` : ''}`
          : 'requested by options.backend';
      const choice: BackendChoice = { backend, reason, skipped };
      log.info({ backend, reason, skipped }, 'inference backend chosen');
      options.metrics
        ?.gauge('beamline_inference_backend_info', 'Backend chosen per model (value 1)', ['model', 'backend'])
        .set({ model, backend }, 1);
      return { runtime, choice };
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      skipped.push({ backend, error: shortError(err) });
      log.debug({ backend, err: shortError(err) }, 'inference backend unavailable');
    }
  }
  throw new BeamlineError(INFERENCE_ERROR_CODES.noBackend, 'no backend could load the model', { details: { model, skipped } });
}

function shortError(err: unknown): string {
  const inner =
    err instanceof BeamlineError && err.cause instanceof Error
      ? `${err.message}: ${err.cause.message}`
      : err instanceof Error
        ? err.message
        : String(err);
  const line = inner.split('\n')[0] ?? '';
  // ONNX Runtime prefixes its reason with a source path and a failed assertion: keep the reason.
  const reason = /was false\.\s*(.+)$/.exec(line)?.[1] ?? line;
  return reason.slice(0, 160);
}

/**
 * Inference engine (issue #7): the only folder that imports TF.js and ONNX Runtime.
 *
 * - Runtimes: `loadRuntime()` / `createRuntime()` give a `ModelRuntime` for a TF.js layers model
 *   or an ONNX model held in memory, on the best backend that loads (or the one named).
 * - `WarmPool` runs N worker threads per model version, each warmed on every bucket size;
 *   `ModelHost` swaps versions without dropping or duplicating requests.
 * - `MicroBatcher` forms padded batches under a wait bound, with priority lanes and load shedding.
 * - `ModelBreaker` (opossum) turns an unhealthy model into a fallback decision.
 * - `InferenceEngine` composes them: micro-batched `score()`, `scoreInline()`, `scoreAsync()`.
 * - `remote/` (#25): models served by another process over the Open Inference Protocol, as a
 *   `Scorer` with bounded in-flight requests, timeouts, jittered retries and a health probe.
 * - `onnx/` writes ONNX model bytes from a plain graph description (used by compile/, issue #8).
 */
export { INFERENCE_ERROR_CODES, closedError, overloadedError } from './errors.ts';
export { ORT_BACKENDS, TFJS_BACKENDS, rowSize } from './model-runtime.ts';
export type {
  BackendName,
  ModelArtifact,
  RemoteBackendName,
  ModelRuntime,
  OnnxArtifact,
  OrtBackend,
  RuntimeDescription,
  TfjsBackend,
  TfjsLayersArtifact,
} from './model-runtime.ts';
export { TfjsRuntime, tfjsArtifactFromSave } from './tfjs-runtime.ts';
export { readModelArtifact } from './model-files.ts';
export { probeWebgpuAdapter } from './tfjs-backends.ts';
export type { WebgpuAdapterInfo } from './tfjs-backends.ts';
export { OrtRuntime } from './ort-runtime.ts';
export type { OrtRuntimeOptions } from './ort-runtime.ts';
export { backendsFor, createRuntime, loadRuntime } from './backend-selection.ts';
export type { BackendChoice, LoadRuntimeOptions, LoadedRuntime } from './backend-selection.ts';
export { sampleMlpLayers, sampleOnnxMlp, sampleRows, sampleTfjsMlp } from './sample-models.ts';
export type { SampleMlpSpec } from './sample-models.ts';
export { ONNX_DTYPE, denseGraph, encodeOnnxModel } from './onnx/index.ts';
export type {
  DenseActivation,
  DenseLayerSpec,
  OnnxAttributeValue,
  OnnxDType,
  OnnxDim,
  OnnxGraph,
  OnnxModelOptions,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
} from './onnx/index.ts';
export { DEFAULT_BUCKETS, MicroBatcher, bucketFor, compileMicroBatcherOptions } from './micro-batcher.ts';
export type {
  BatchExecutor,
  MicroBatcherConfig,
  MicroBatcherDeps,
  MicroBatcherOptions,
  MicroBatcherState,
  Priority,
} from './micro-batcher.ts';
export { BatchMetrics, ScoringMetrics } from './inference-metrics.ts';
export { WarmPool, compileWarmPoolOptions } from './warm-pool.ts';
export type { PoolDeps, PoolMemory, PredictResult, WarmPoolConfig, WarmPoolOptions, WarmPoolState } from './warm-pool.ts';
export type { WorkerMemory } from './pool-protocol.ts';
export { ModelHost } from './model-host.ts';
export type { ModelHostState } from './model-host.ts';
export { ModelBreaker, compileModelBreakerOptions } from './model-breaker.ts';
export type { FallbackDecision, Guarded, ModelBreakerConfig, ModelBreakerDeps, ModelBreakerOptions } from './model-breaker.ts';
export { InferenceEngine, runtimeScorer } from './inference-engine.ts';
export type {
  AsyncScoreSink,
  InferenceEngineDeps,
  InferenceEngineOptions,
  InferenceEngineState,
  Score,
  Scorer,
} from './inference-engine.ts';
// TF.js layers -> ONNX compiler and GPU host checks (issue #8).
export {
  COMPILED_OPSET,
  COMPILE_ERROR_CODES,
  checkGpuHost,
  chooseOnnxProviders,
  compileTfjsToOnnx,
  compileTfjsToOnnxOptions,
  nodeHostView,
  supportedLayerClasses,
  type ChooseOnnxProvidersOptions,
  type CompileManifest,
  type CompileTfjsToOnnxConfig,
  type CompileTfjsToOnnxOptions,
  type CompiledOnnxModel,
  type GpuHostReport,
  type OnnxProvider,
  type ProviderChoice,
} from './compile/index.ts';
// Remote models over the Open Inference Protocol (issue #25).
export {
  OipClient,
  RemoteCallError,
  RemoteMetrics,
  RemoteScorer,
  compileRemoteCallOptions,
  compileRemoteModelSpec,
  isLoopback,
  jitteredBackoffMs,
  remoteEngineOptions,
  resolveAuthHeaders,
  secretsDir,
  type OipClientDeps,
  type OipModelMetadata,
  type OipTensorMetadata,
  type RemoteArtifact,
  type RemoteAuthRef,
  type RemoteBreakerOptions,
  type RemoteCallConfig,
  type RemoteCallOptions,
  type RemoteFailureKind,
  type RemoteModelSpec,
  type RemoteScorerDeps,
  type RemoteScorerState,
} from './remote/index.ts';

/**
 * TF.js layers model -> ONNX compiler (issue #8), with an equivalence check against TF.js, and
 * the host checks that decide which ONNX Runtime execution providers to serve it with.
 *
 * Translated layers: see `supportedLayerClasses()`. Anything else is refused with
 * BL_COMPILE_UNSUPPORTED_LAYER; translatable layers with untranslatable settings (stateful or
 * return_state RNNs, Embedding mask_zero, causal padding) with BL_COMPILE_UNSUPPORTED_CONFIG.
 */
export { compileTfjsToOnnx, maxDifference, COMPILED_OPSET } from './compile-tfjs-to-onnx.ts';
export type { CompileManifest, CompiledOnnxModel, CompiledTensorInfo } from './compile-tfjs-to-onnx.ts';
export { compileTfjsToOnnxOptions } from './compile-options.ts';
export type { CompileTfjsToOnnxConfig, CompileTfjsToOnnxOptions, ReferenceBackend } from './compile-options.ts';
export { COMPILE_ERROR_CODES } from './errors.ts';
export { supportedLayerClasses } from './translate-model.ts';
export type { TranslatedLayer } from './translate-model.ts';
export { makeProbe } from './probe.ts';
export type { ProbeInput } from './probe.ts';
export { checkGpuHost, chooseOnnxProviders, nodeHostView } from './gpu-host.ts';
export type { ChooseOnnxProvidersOptions, GpuHostReport, HostView, OnnxProvider, ProviderChoice, ProviderPreference } from './gpu-host.ts';

/**
 * Optional TF.js backends, loaded lazily because they may be missing or have no device.
 *
 * WebGPU in Node (see /work/shared/notes/inference-backends.md): the `webgpu` package's Dawn
 * instance must stay referenced for the life of the process (requestDevice segfaulted once it
 * was collected), `navigator.gpu` must return it, and only then may
 * `@tensorflow/tfjs-backend-webgpu` load, because it registers only if navigator.gpu exists.
 */
import { checkGpuHost } from './compile/index.ts';
import { tf } from './tfjs.ts';

// Held forever on purpose: see the module comment.
let dawnInstance: unknown;
let webgpuProbe: Promise<boolean> | undefined;
let tfjsNodeProbe: Promise<boolean> | undefined;

/** True when a WebGPU adapter exists and the tfjs webgpu backend is registered. */
export function ensureTfjsWebgpu(): Promise<boolean> {
  webgpuProbe ??= (async () => {
    try {
      const gpu = await webgpuNavigatorGpu();
      if (gpu === undefined) return false;
      await import('@tensorflow/tfjs-backend-webgpu');
      return tf.findBackendFactory('webgpu') !== null;
    } catch {
      return false;
    }
  })();
  return webgpuProbe;
}

export interface WebgpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** A CPU implementation (Mesa llvmpipe/lavapipe, SwiftShader): correct but slow. */
  readonly software: boolean;
}

let adapterProbe: Promise<WebgpuAdapterInfo | undefined> | undefined;

/** Describes the WebGPU adapter Dawn finds here, or undefined when there is none. Cached. */
export function probeWebgpuAdapter(): Promise<WebgpuAdapterInfo | undefined> {
  adapterProbe ??= (async () => {
    const gpu = await webgpuNavigatorGpu();
    if (gpu === undefined) return undefined;
    const adapter = (await gpu.requestAdapter()) as { info?: Record<string, unknown>; isFallbackAdapter?: boolean } | null;
    const info = adapter?.info ?? {};
    const str = (k: string): string => (typeof info[k] === 'string' ? (info[k] as string) : '');
    const description = str('description') || str('device');
    const software =
      info['isFallbackAdapter'] === true ||
      adapter?.isFallbackAdapter === true ||
      str('architecture') === 'software' ||
      /llvmpipe|lavapipe|swiftshader/i.test(`${description} ${str('device')}`);
    return { vendor: str('vendor'), architecture: str('architecture'), description, software };
  })();
  return adapterProbe;
}

let vulkanMissing: boolean | undefined;

/**
 * True on Linux without the Vulkan loader: Dawn has nothing to run on there, and asking it anyway
 * prints a native "Couldn't load Vulkan" warning with a stack to stderr (#14: users saw it in
 * `npm run demo`). Cached: the loader does not appear while the process runs.
 */
export function webgpuImpossibleHere(): boolean {
  vulkanMissing ??= process.platform === 'linux' && checkGpuHost().vulkanLoader === undefined;
  return vulkanMissing;
}

/** Installs navigator.gpu from the `webgpu` package; undefined when no adapter is found. */
export async function webgpuNavigatorGpu(): Promise<{ requestAdapter(): Promise<unknown> } | undefined> {
  if (webgpuImpossibleHere()) return undefined;
  try {
    const mod = (await import('webgpu')) as unknown as { create(flags: string[]): unknown; globals: object };
    if (dawnInstance === undefined) {
      Object.assign(globalThis, mod.globals);
      dawnInstance = mod.create([]);
      const nav = (globalThis as { navigator?: object }).navigator;
      if (nav === undefined) {
        Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawnInstance }, configurable: true });
      } else {
        Object.defineProperty(nav, 'gpu', { get: () => dawnInstance, configurable: true });
      }
    }
    const gpu = dawnInstance as { requestAdapter(): Promise<unknown> };
    const adapter = await gpu.requestAdapter();
    return adapter === null || adapter === undefined ? undefined : gpu;
  } catch {
    return undefined;
  }
}

/**
 * True when the user installed @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node. Never a
 * dependency: it downloads libtensorflow at install time.
 */
export function ensureTfjsNode(): Promise<boolean> {
  tfjsNodeProbe ??= (async () => {
    for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await import(name);
        if (tf.findBackendFactory('tensorflow') !== null) return true;
      } catch {
        // not installed or failed to load its native library: try the next one
      }
    }
    return false;
  })();
  return tfjsNodeProbe;
}

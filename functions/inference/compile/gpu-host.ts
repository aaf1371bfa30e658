/**
 * What a GPU host needs before ONNX Runtime can use it, checked from the filesystem so the Helm
 * chart's preflight and the runtime agree. ORT's WebGPU provider runs on Dawn over Vulkan, so it
 * needs the Vulkan loader, a driver ICD manifest and GPU device nodes; its CUDA provider needs
 * provider libraries that the npm package does not ship.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../errors.ts';

/** The filesystem and environment as the checks see them; tests inject a fake. */
export interface HostView {
  exists(path: string): boolean;
  /** Entry names, or [] when the directory is missing or unreadable. */
  list(dir: string): readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory holding onnxruntime-node's native libraries, when known. */
  readonly ortLibDir?: string;
}

export function nodeHostView(): HostView {
  let ortLibDir: string | undefined;
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    ortLibDir = join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    ortLibDir = undefined;
  }
  const view: HostView = {
    exists: (p) => existsSync(p),
    list: (dir) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
    env: process.env,
  };
  return ortLibDir === undefined ? view : { ...view, ortLibDir };
}

const LIBRARY_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/lib64',
  '/usr/lib',
  '/lib',
  '/usr/local/lib',
];
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

export interface GpuHostReport {
  /** True when every requirement is present. */
  readonly ok: boolean;
  readonly vulkanLoader: string | undefined;
  readonly icdFiles: readonly string[];
  readonly devices: readonly string[];
  /** One entry per missing requirement, each saying how to fix it. */
  readonly missing: readonly string[];
  readonly message: string;
}

export function checkGpuHost(view: HostView = nodeHostView()): GpuHostReport {
  const missing: string[] = [];
  const libDirs = [...(view.env['LD_LIBRARY_PATH'] ?? '').split(':').filter((d) => d !== ''), ...LIBRARY_DIRS];
  const vulkanLoader = libDirs.map((d) => join(d, 'libvulkan.so.1')).find((p) => view.exists(p));
  if (vulkanLoader === undefined) {
    missing.push(
      'Vulkan loader libvulkan.so.1 not found (install Debian/Ubuntu package libvulkan1, or add its directory to LD_LIBRARY_PATH)',
    );
  }
  const icdFiles = icdManifests(view);
  if (icdFiles.length === 0) {
    const envNote = view.env['VK_DRIVER_FILES'] ?? view.env['VK_ICD_FILENAMES'];
    missing.push(
      envNote === undefined
        ? `no Vulkan ICD json in ${ICD_DIRS.join(' or ')} and VK_DRIVER_FILES/VK_ICD_FILENAMES unset (point VK_DRIVER_FILES at the driver's nvidia_icd.json)`
        : `VK_DRIVER_FILES/VK_ICD_FILENAMES names ${envNote}, which does not exist`,
    );
  }
  const devices = [
    ...view
      .list('/dev')
      .filter((n) => /^nvidia(\d+|ctl|-uvm)$/.test(n))
      .map((n) => `/dev/${n}`),
    ...view
      .list('/dev/dri')
      .filter((n) => n.startsWith('renderD'))
      .map((n) => `/dev/dri/${n}`),
  ];
  if (devices.length === 0) {
    missing.push(
      'no GPU device nodes (/dev/nvidia* or /dev/dri/renderD*): request a GPU for the pod (e.g. resources.limits nvidia.com/gpu) or pass --gpus',
    );
  }
  const ok = missing.length === 0;
  const message = ok
    ? `GPU host ready: ${vulkanLoader}, ICD ${icdFiles.join(', ')}, devices ${devices.join(', ')}`
    : `GPU host not ready: ${missing.join('; ')}`;
  return Object.freeze({ ok, vulkanLoader, icdFiles, devices, missing, message });
}

function icdManifests(view: HostView): string[] {
  // VK_DRIVER_FILES replaces the search (VK_ICD_FILENAMES is its older name), as the loader does.
  const override = view.env['VK_DRIVER_FILES'] ?? view.env['VK_ICD_FILENAMES'];
  if (override !== undefined && override !== '') return override.split(':').filter((p) => p !== '' && view.exists(p));
  return ICD_DIRS.flatMap((dir) =>
    view
      .list(dir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => join(dir, n)),
  );
}

export type OnnxProvider = 'cuda' | 'webgpu' | 'cpu';
export type ProviderPreference = OnnxProvider | 'auto';

export interface ChooseOnnxProvidersOptions {
  /** @default 'auto' (CUDA when usable, else WebGPU, else CPU) */
  prefer?: ProviderPreference;
  /** @default nodeHostView() */
  view?: HostView;
}

export interface ProviderChoice {
  /** ORT executionProviders, best first; always ends with 'cpu' as the fallback. */
  readonly providers: readonly OnnxProvider[];
  readonly reason: string;
  readonly host: GpuHostReport;
}

/**
 * Picks ORT execution providers from what the host has. A filesystem check cannot prove an
 * adapter works, so callers still fall back to CPU when session creation fails.
 */
export function chooseOnnxProviders(options: ChooseOnnxProvidersOptions = {}): ProviderChoice {
  const prefer = options.prefer ?? 'auto';
  if (!['auto', 'cuda', 'webgpu', 'cpu'].includes(prefer)) throw new ConfigError('prefer', prefer, "use 'auto', 'cuda', 'webgpu' or 'cpu'");
  const view = options.view ?? nodeHostView();
  const host = checkGpuHost(view);
  const nvidia = host.devices.some((d) => d.startsWith('/dev/nvidia'));
  const cudaLib = view.ortLibDir === undefined ? undefined : join(view.ortLibDir, 'libonnxruntime_providers_cuda.so');
  const cudaProblem = !nvidia
    ? 'no /dev/nvidia* device'
    : cudaLib === undefined || !view.exists(cudaLib)
      ? 'onnxruntime-node has no CUDA provider library (libonnxruntime_providers_cuda.so is not in the npm package)'
      : undefined;
  const choice = (providers: OnnxProvider[], reason: string): ProviderChoice => Object.freeze({ providers, reason, host });

  if (prefer === 'cpu') return choice(['cpu'], 'cpu requested');
  if (prefer === 'cuda' || prefer === 'auto') {
    if (cudaProblem === undefined)
      return choice(['cuda', 'cpu'], `${prefer === 'cuda' ? 'cuda requested' : 'auto'}: CUDA provider library and NVIDIA device present`);
    if (host.ok)
      return choice(
        ['webgpu', 'cpu'],
        `${prefer === 'cuda' ? 'cuda requested but' : 'auto: no CUDA,'} ${cudaProblem}; WebGPU host requirements present`,
      );
    return choice(['cpu'], `${prefer === 'cuda' ? 'cuda requested but' : 'auto: no CUDA,'} ${cudaProblem}; ${host.message}`);
  }
  if (host.ok) return choice(['webgpu', 'cpu'], 'webgpu requested: Vulkan loader, ICD and GPU device present');
  return choice(['cpu'], `webgpu requested but ${host.message}`);
}

import { describe, expect, it } from 'vitest';
import { checkGpuHost, chooseOnnxProviders } from '../../../../functions/inference/compile/index.ts';
import type { HostView } from '../../../../functions/inference/compile/index.ts';

/** A fake filesystem: a set of file paths; directories are listed from them. */
function view(files: readonly string[], env: Record<string, string> = {}, ortLibDir = '/app/ort'): HostView {
  const set = new Set(files);
  return {
    exists: (p) => set.has(p),
    list: (dir) =>
      files.filter((f) => f.startsWith(`${dir}/`) && !f.slice(dir.length + 1).includes('/')).map((f) => f.slice(dir.length + 1)),
    env,
    ortLibDir,
  };
}

const NVIDIA_WEBGPU = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/share/vulkan/icd.d/nvidia_icd.json',
  '/dev/nvidia0',
  '/dev/nvidiactl',
  '/dev/null',
];

describe('checkGpuHost', () => {
  it('reports ready with the loader, ICD and devices it found', () => {
    const r = checkGpuHost(view(NVIDIA_WEBGPU));
    expect(r.ok).toBe(true);
    expect(r.vulkanLoader).toBe('/usr/lib/x86_64-linux-gnu/libvulkan.so.1');
    expect(r.icdFiles).toEqual(['/usr/share/vulkan/icd.d/nvidia_icd.json']);
    expect(r.devices).toEqual(['/dev/nvidia0', '/dev/nvidiactl']);
    expect(r.missing).toEqual([]);
    expect(r.message).toMatch(/^GPU host ready/);
  });

  it('names every missing piece and how to fix it on a bare host', () => {
    const r = checkGpuHost(view(['/dev/null']));
    expect(r.ok).toBe(false);
    expect(r.missing).toHaveLength(3);
    expect(r.message).toContain('libvulkan.so.1');
    expect(r.message).toContain('libvulkan1');
    expect(r.message).toContain('VK_DRIVER_FILES');
    expect(r.message).toContain('/dev/nvidia*');
  });

  it('finds the loader on LD_LIBRARY_PATH and honours VK_DRIVER_FILES over the ICD directories', () => {
    const files = ['/opt/vk/libvulkan.so.1', '/opt/mesa/lvp_icd.x86_64.json', '/dev/dri/renderD128', '/dev/dri/card0'];
    const r = checkGpuHost(view(files, { LD_LIBRARY_PATH: '/opt/vk', VK_DRIVER_FILES: '/opt/mesa/lvp_icd.x86_64.json' }));
    expect(r.ok).toBe(true);
    expect(r.icdFiles).toEqual(['/opt/mesa/lvp_icd.x86_64.json']);
    expect(r.devices).toEqual(['/dev/dri/renderD128']);
  });

  it('says when VK_ICD_FILENAMES points at a file that does not exist', () => {
    const r = checkGpuHost(
      view(['/usr/lib/libvulkan.so.1', '/dev/nvidia0', '/usr/share/vulkan/icd.d/nvidia_icd.json'], { VK_ICD_FILENAMES: '/nope.json' }),
    );
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual([expect.stringContaining('/nope.json')]);
  });
});

describe('chooseOnnxProviders', () => {
  it('returns webgpu then cpu on a Vulkan-ready host without the CUDA provider library', () => {
    const c = chooseOnnxProviders({ view: view(NVIDIA_WEBGPU) });
    expect(c.providers).toEqual(['webgpu', 'cpu']);
    expect(c.reason).toContain('libonnxruntime_providers_cuda.so');
  });

  it('returns cuda then cpu when the CUDA provider library and an NVIDIA device exist', () => {
    const c = chooseOnnxProviders({ prefer: 'cuda', view: view([...NVIDIA_WEBGPU, '/app/ort/libonnxruntime_providers_cuda.so']) });
    expect(c.providers).toEqual(['cuda', 'cpu']);
    expect(c.reason).toMatch(/cuda requested/);
  });

  it('prefers webgpu when asked even if CUDA is usable', () => {
    const c = chooseOnnxProviders({ prefer: 'webgpu', view: view([...NVIDIA_WEBGPU, '/app/ort/libonnxruntime_providers_cuda.so']) });
    expect(c.providers).toEqual(['webgpu', 'cpu']);
  });

  it('falls back to cpu with the host message as the reason', () => {
    const c = chooseOnnxProviders({ prefer: 'webgpu', view: view(['/dev/nvidia0']) });
    expect(c.providers).toEqual(['cpu']);
    expect(c.reason).toContain('webgpu requested but GPU host not ready');
    expect(c.reason).toContain('libvulkan.so.1');
    expect(chooseOnnxProviders({ prefer: 'cpu', view: view(NVIDIA_WEBGPU) }).providers).toEqual(['cpu']);
  });

  it('on this machine (no GPU) picks cpu and says why', () => {
    const c = chooseOnnxProviders();
    expect(c.providers.at(-1)).toBe('cpu');
    expect(typeof c.reason).toBe('string');
  });
});

describe('chooseOnnxProviders options', () => {
  it('refuses an unknown preference with a ConfigError naming the field', () => {
    expect(() => chooseOnnxProviders({ prefer: 'tpu' as never, view: view([]) })).toThrow(/prefer/);
  });
});

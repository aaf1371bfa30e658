import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { javaPeerCacheDir } from '../../../scripts/java/peer-build.ts';

describe('Java peer build', () => {
  it('keeps its cache outside the repository, under BEAMLINE_CACHE when set', () => {
    const saved = process.env['BEAMLINE_CACHE'];
    try {
      process.env['BEAMLINE_CACHE'] = '/some/cache';
      expect(javaPeerCacheDir('4.0.7')).toBe('/some/cache/java-peer/4.0.7');
    } finally {
      if (saved === undefined) delete process.env['BEAMLINE_CACHE'];
      else process.env['BEAMLINE_CACHE'] = saved;
    }
  });

  it('fails with a clear, coded error naming java when no JDK is on PATH', () => {
    // A fresh process whose PATH holds only node: ensureJavaPeer must name the missing tool.
    const cache = mkdtempSync(join(tmpdir(), 'beamline-peer-cache-'));
    try {
      const script = `import('${new URL('../../../scripts/java/peer-build.ts', import.meta.url).href}').then(
        (m) => { m.ensureJavaPeer(); process.exit(3); },
        (e) => { process.stderr.write(String(e)); process.exit(4); },
      ).catch((e) => { process.stderr.write(e.code + ' ' + e.message); process.exit(5); });`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: dirname(process.execPath), BEAMLINE_CACHE: cache, HOME: cache },
        encoding: 'utf8',
      });
      expect(r.status).toBe(5);
      expect(r.stderr).toContain('BL_JAVA_PEER_TOOL_MISSING');
      expect(r.stderr).toContain('java not found on PATH');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

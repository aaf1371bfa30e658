/**
 * Resolves the Pulsar broker's jars from Maven Central once into the cache. A missing artifact
 * (the registry reached here serves only some versions) fails loudly: Maven reports a missing
 * parent POM only as a WARNING while silently dropping dependencies, so warnings of that kind
 * are treated as errors.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jarDir, pomFile, PULSAR_VERSION } from './paths.ts';
import { BrokerScriptError } from './errors.ts';

const MARKER = '.complete';

export interface JarCache {
  dir: string;
  jars: number;
  bytes: number;
  fetched: boolean;
}

/** Java 17+ must be on PATH; returns its major version. */
export function checkJava(): number {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new BrokerScriptError(
      'java not found on PATH',
      'install a Java 17+ runtime (Debian: `apt-get install openjdk-17-jre-headless`) or set PATH to include it',
    );
  }
  const m = /version "(\d+)/.exec(r.stderr);
  const major = m?.[1] === undefined ? 0 : Number(m[1]);
  if (major < 17) {
    throw new BrokerScriptError(
      `java ${major} is too old for Pulsar ${PULSAR_VERSION}`,
      'install Java 17 or newer and put it first on PATH',
    );
  }
  return major;
}

export function checkMaven(): void {
  const r = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new BrokerScriptError('mvn (Maven) not found on PATH', 'install Maven 3.8+ (Debian: `apt-get install maven`)');
  }
}

export function ensureJars(log: (line: string) => void = () => undefined): JarCache {
  const dir = jarDir();
  if (existsSync(join(dir, MARKER))) return describe(dir, false);
  checkJava();
  checkMaven();
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(`resolving Apache Pulsar ${PULSAR_VERSION} jars with Maven (first run only)`);
  const r = spawnSync(
    'mvn',
    ['-B', '-f', pomFile, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const out = `${r.stdout}\n${r.stderr}`;
  const missingPom = out.split('\n').filter((l) => /WARNING.*(Missing POM|The POM for .* is missing|invalid)/i.test(l));
  if (r.status !== 0 || missingPom.length > 0) {
    rmSync(staging, { recursive: true, force: true });
    const reason = out
      .split('\n')
      .filter((l) => /ERROR|Missing POM|is missing/.test(l))
      .slice(0, 8)
      .join('\n');
    throw new BrokerScriptError(
      `could not resolve Pulsar ${PULSAR_VERSION} jars from Maven Central:\n${reason}`,
      'check that Maven can reach Maven Central (`mvn -v`, ~/.m2/settings.xml), then run `scripts/pulsar fetch` again',
    );
  }
  writeFileSync(join(staging, MARKER), `${new Date().toISOString()}\n`);
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return describe(dir, true);
}

function describe(dir: string, fetched: boolean): JarCache {
  let bytes = 0;
  let jars = 0;
  for (const f of readdirSync(dir, { withFileTypes: true })) {
    if (f.isFile() && f.name.endsWith('.jar')) {
      jars++;
      bytes += statSync(join(dir, f.name)).size;
    }
  }
  return { dir, jars, bytes, fetched };
}

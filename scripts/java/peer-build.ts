/**
 * Resolves the Apache Pulsar Java client + pulsar-perf jars (scripts/java/pom.xml) once into a
 * cache outside the repository and compiles JavaPeer.java against them with plain javac. Shared
 * by the interop tests (test/support/java-peer.ts) and the benchmarks (scripts/bench/).
 *
 * Both steps are keyed by a hash of their inputs (POM, Java source) and finish with an atomic
 * rename, so concurrent test workers never see a half-written cache and an edited source is
 * recompiled on the next run.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BeamlineError } from '../../functions/index.ts';
import { JAVA_PEER_ERROR_CODES } from './errors.ts';

export { JAVA_PEER_ERROR_CODES };

/** The Pulsar version of the client jars; matches the dev broker (local-broker/pom.xml). */
export const JAVA_PEER_PULSAR_VERSION = '4.0.7';

export class JavaPeerError extends BeamlineError {}

const javaDir = resolve(fileURLToPath(new URL('.', import.meta.url)));
const pomFile = join(javaDir, 'pom.xml');
const sourceFile = join(javaDir, 'src', 'JavaPeer.java');
/** Routes all Java logging to stderr so stdout carries only JSON lines. */
export const JAVA_PEER_LOG4J_CONFIG = join(javaDir, 'log4j2.xml');
const MARKER = '.complete';

export interface JavaPeerBuild {
  /** `-cp` value: compiled peer classes first, then every resolved jar. */
  classpath: string;
  libDir: string;
  classesDir: string;
  javaMajor: number;
  /** The pulsar-testclient (pulsar-perf) version the POM resolved. */
  testclientVersion: string;
}

let cached: JavaPeerBuild | undefined;

export function javaPeerCacheDir(version = JAVA_PEER_PULSAR_VERSION): string {
  const root = process.env['BEAMLINE_CACHE'] ?? join(homedir(), '.cache', 'beamline');
  return join(root, 'java-peer', version);
}

/**
 * Makes the Java peer runnable: checks java/javac/mvn, resolves jars (first run: a minute or
 * more), compiles the peer (a few seconds). Idempotent and memoized per process.
 */
export function ensureJavaPeer(log: (line: string) => void = () => undefined): JavaPeerBuild {
  if (cached !== undefined) return cached;
  const javaMajor = checkTool('java', ['-version'], 'a Java 17+ runtime (Debian: `apt-get install openjdk-17-jdk-headless`)');
  if (javaMajor < 17) {
    throw new JavaPeerError(JAVA_PEER_ERROR_CODES.toolMissing, `java ${javaMajor} is too old; the Java peer needs Java 17+`, {
      details: { javaMajor },
    });
  }
  checkTool('javac', ['-version'], 'a Java 17+ JDK with javac (Debian: `apt-get install openjdk-17-jdk-headless`)');
  const base = javaPeerCacheDir();
  const libDir = join(base, 'lib');
  const pom = readFileSync(pomFile);
  const pomHash = sha(pom);
  if (!isComplete(libDir, pomHash)) {
    checkTool('mvn', ['-v'], 'Maven 3.8+ (Debian: `apt-get install maven`)');
    resolveJars(libDir, pomHash, log);
  }
  const source = readFileSync(sourceFile);
  const classesDir = join(base, `classes-${sha(Buffer.concat([source, Buffer.from(pomHash)])).slice(0, 16)}`);
  if (!isComplete(classesDir, 'compiled')) compile(libDir, classesDir, log);
  const testclientVersion = /<pulsar\.testclient\.version>([^<]+)</.exec(pom.toString('utf8'))?.[1] ?? JAVA_PEER_PULSAR_VERSION;
  cached = Object.freeze({
    classpath: [classesDir, join(libDir, '*')].join(delimiter),
    libDir,
    classesDir,
    javaMajor,
    testclientVersion,
  });
  return cached;
}

/**
 * JVM flags for a run. `peer`: short CLI runs, so C1-only JIT starts faster and logging stays at
 * WARN. `perf`: a benchmark baseline, so the full JIT (C2) and a bigger heap, as pulsar-perf
 * ships, with INFO logging because its summary is logged.
 */
export function javaPeerJvmArgs(build: JavaPeerBuild, profile: 'peer' | 'perf' = 'peer'): string[] {
  const tuning = profile === 'peer' ? ['-Xms64m', '-Xmx512m', '-XX:TieredStopAtLevel=1'] : ['-Xms1g', '-Xmx1g'];
  return [
    ...tuning,
    `-Dlog4j2.configurationFile=${JAVA_PEER_LOG4J_CONFIG}`,
    `-Dbeamline.log.level=${profile === 'peer' ? 'warn' : 'info'}`,
    '-cp',
    build.classpath,
  ];
}

function checkTool(cmd: string, args: string[], install: string): number {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    throw new JavaPeerError(JAVA_PEER_ERROR_CODES.toolMissing, `${cmd} not found on PATH; the Java interop peer needs ${install}`, {
      details: { tool: cmd },
    });
  }
  const m = /(?:version "|javac |Java version: )(\d+)/.exec(`${r.stdout}\n${r.stderr}`);
  return m?.[1] === undefined ? 0 : Number(m[1]);
}

function isComplete(dir: string, stamp: string): boolean {
  const marker = join(dir, MARKER);
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === stamp;
}

function resolveJars(libDir: string, pomHash: string, log: (line: string) => void): void {
  const staging = `${libDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log('resolving Apache Pulsar Java client + pulsar-perf jars with Maven (first run only)');
  const r = spawnSync(
    'mvn',
    ['-B', '-f', pomFile, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const out = `${r.stdout}\n${r.stderr}`;
  // Maven reports a missing POM only as a warning and then silently drops its dependencies.
  const missing = out.split('\n').filter((l) => /WARNING.*(Missing POM|The POM for .* is missing)/i.test(l));
  if (r.status !== 0 || missing.length > 0) {
    rmSync(staging, { recursive: true, force: true });
    const reason = out
      .split('\n')
      .filter((l) => /ERROR|Missing POM|is missing/.test(l))
      .slice(0, 6)
      .join('\n');
    throw new JavaPeerError(
      JAVA_PEER_ERROR_CODES.resolveFailed,
      `could not resolve the Pulsar Java client jars (scripts/java/pom.xml):\n${reason}`,
      {
        details: { pom: pomFile },
      },
    );
  }
  writeFileSync(join(staging, MARKER), `${pomHash}\n`);
  replaceDir(staging, libDir, pomHash);
}

function compile(libDir: string, classesDir: string, log: (line: string) => void): void {
  const staging = `${classesDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log('compiling scripts/java/src/JavaPeer.java');
  const r = spawnSync('javac', ['--release', '17', '-d', staging, '-cp', join(libDir, '*'), sourceFile], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new JavaPeerError(
      JAVA_PEER_ERROR_CODES.compileFailed,
      `javac failed on JavaPeer.java:\n${`${r.stdout}\n${r.stderr}`.trim().slice(0, 2000)}`,
    );
  }
  writeFileSync(join(staging, MARKER), 'compiled\n');
  replaceDir(staging, classesDir, 'compiled');
  // Old compilations of earlier sources only waste space.
  const parent = join(classesDir, '..');
  for (const d of readdirSync(parent)) {
    const full = join(parent, d);
    if (d.startsWith('classes-') && !d.includes('.partial-') && full !== classesDir) rmSync(full, { recursive: true, force: true });
  }
}

function replaceDir(staging: string, target: string, stamp: string): void {
  mkdirSync(join(target, '..'), { recursive: true });
  // Another process may have finished the same work first and be using it now: keep theirs.
  if (isComplete(target, stamp)) {
    rmSync(staging, { recursive: true, force: true });
    return;
  }
  try {
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (!isComplete(target, stamp)) throw err;
  }
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

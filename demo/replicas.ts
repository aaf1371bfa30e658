/**
 * `npm run demo -- --replicas N` (#17): the demo's namespace run as N worker processes
 * (demo/replica-main.ts), each owning some of the `events` partitions. Starts them, follows which
 * partitions each owns (for the live view), reads their /metrics, and stops them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseReplicaLine } from './replica-protocol.ts';

const entry = join(dirname(fileURLToPath(import.meta.url)), 'replica-main.ts');
/** A cold replica process (imports, model load, subscriptions) on a loaded machine. */
const READY_TIMEOUT_MS = 180_000;
/** How long a replica may take to drain on stop before it is killed. */
const STOP_TIMEOUT_MS = 30_000;

export interface ReplicaView {
  readonly name: string;
  /** Partitions it owns now, ascending. */
  readonly owned: readonly number[];
  readonly metricsPort: number;
}

export interface ReplicaSetOptions {
  count: number;
  serviceUrl: string;
  adminUrl: string;
  token: string | undefined;
  modelDir: string;
  piiKey: Buffer;
  otlpEndpoint?: string;
}

interface Replica {
  name: string;
  child: ChildProcess;
  owned: number[];
  metricsPort: number;
  backend: string;
}

export class DemoReplicas {
  readonly #replicas: Replica[] = [];
  readonly #dir: string;
  /** Partition hand-overs seen (gained + lost), for the summary line. */
  moves = 0;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Starts `count` replicas and resolves once every one is running. */
  static async start(o: ReplicaSetOptions): Promise<DemoReplicas> {
    // The PII key reaches the replicas in a file only they and this process can read, never argv.
    const dir = mkdtempSync(join(tmpdir(), 'beamline-demo-replicas-'));
    const keyFile = join(dir, 'pii.key');
    writeFileSync(keyFile, o.piiKey, { mode: 0o600 });
    const set = new DemoReplicas(dir);
    try {
      await Promise.all(Array.from({ length: o.count }, (_, i) => set.#spawn(`replica-${i + 1}`, o, keyFile)));
    } catch (err) {
      await set.stop();
      throw err;
    }
    return set;
  }

  get replicas(): ReplicaView[] {
    return this.#replicas.map((r) => ({ name: r.name, owned: [...r.owned], metricsPort: r.metricsPort }));
  }

  get backend(): string {
    return [...new Set(this.#replicas.map((r) => r.backend))].join(', ');
  }

  get state(): string {
    const up = this.#replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null).length;
    return `${up}/${this.#replicas.length} replicas`;
  }

  /** Every replica's /metrics text (an unreachable one is left out). */
  async metrics(): Promise<string[]> {
    const texts = await Promise.all(
      this.#replicas.map((r) =>
        fetch(`http://127.0.0.1:${r.metricsPort}/metrics`, { signal: AbortSignal.timeout(2_000) })
          .then((res) => res.text())
          .catch(() => ''),
      ),
    );
    return texts.filter((t) => t !== '');
  }

  /** SIGTERM to every replica (each drains), SIGKILL past the deadline; idempotent. */
  async stop(): Promise<void> {
    await Promise.all(
      this.#replicas.map(
        (r) =>
          new Promise<void>((resolve) => {
            if (r.child.exitCode !== null || r.child.signalCode !== null) return resolve();
            const kill = setTimeout(() => r.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            r.child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            r.child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #spawn(name: string, o: ReplicaSetOptions, keyFile: string): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PULSAR_SERVICE_URL: o.serviceUrl,
      PULSAR_ADMIN_URL: o.adminUrl,
      PULSAR_TOKEN: o.token ?? '',
      BEAMLINE_REPLICA_ID: name,
      BEAMLINE_DEMO_MODEL_DIR: o.modelDir,
      BEAMLINE_DEMO_PII_KEY_FILE: keyFile,
      BEAMLINE_DEMO_OTLP_ENDPOINT: o.otlpEndpoint ?? '',
    };
    const child = spawn(process.execPath, [entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const r: Replica = { name, child, owned: [], metricsPort: 0, backend: '?' };
    this.#replicas.push(r);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4_000)));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited before it was ready (${code ?? signal}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
      });
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        const m = parseReplicaLine(line);
        if (m.type === 'ready') {
          r.metricsPort = Number(m.info['port'] ?? 0);
          r.backend = String(m.info['backend'] ?? '?');
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'partition') {
          r.owned = [...m.event.owned];
          if (m.event.kind === 'gained' || m.event.kind === 'lost') this.moves++;
        }
      });
    });
  }
}

/** `replica-1 [0,3]  replica-2 [1,4]` for the live view. */
export function ownershipLine(replicas: readonly ReplicaView[]): string {
  return replicas.map((r) => `${r.name} [${r.owned.join(',')}]`).join('  ');
}

/** Helpers for the bridge-*.test.ts files: Google's pstest fake, the bridge as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PubSub } from '@google-cloud/pubsub';
import { startPubsubFake, type RunningPubsubFake } from '../../scripts/pubsub-fake/fake.ts';
import { env } from './worker-support.ts';

export const PROJECT = 'beamline-test';
const cli = fileURLToPath(new URL('../../bin/beamline.js', import.meta.url));

export interface Fake {
  readonly fake: RunningPubsubFake;
  readonly pubsub: PubSub;
}

/** Starts pstest on a free port (building it first if this machine has none yet). */
export async function startFake(): Promise<Fake> {
  const fake = await startPubsubFake(0);
  return { fake, pubsub: new PubSub({ projectId: PROJECT, apiEndpoint: fake.host, emulatorMode: true }) };
}

export async function stopFake(f: Fake | undefined): Promise<void> {
  if (f === undefined) return;
  await f.pubsub.close().catch(() => undefined);
  await f.fake.stop();
}

/** `beamline bridge VERB ...` as a child process; resolves once it says it is running. */
export function startBridge(f: Fake, verb: 'pubsub-source' | 'pubsub-sink', args: readonly string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'bridge', verb, ...args, '--http-port', '-1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PUBSUB_EMULATOR_HOST: f.fake.host,
        PULSAR_SERVICE_URL: env.serviceUrl,
        PULSAR_ADMIN_URL: env.adminUrl,
        BEAMLINE_LOG_LEVEL: 'warn',
      },
    });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-4000)));
    child.stdout?.on('data', (d: Buffer) => {
      const line = d.toString();
      if (line.includes('running')) {
        console.log(`[bridge] ${line.trim()}`);
        runningLines.set(child, line.trim());
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`bridge ${verb} exited before running (code ${String(code)}): ${err}`)));
  });
}

const runningLines = new WeakMap<ChildProcess, string>();

/** The line a bridge started by startBridge printed when it was running. */
export function lastRunningLine(child: ChildProcess): string {
  return runningLines.get(child) ?? '';
}

export function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

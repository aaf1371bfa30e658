/**
 * Effectively-once under crashes: a transactional consume-transform-produce worker (a child
 * process, fixtures/txn-ctp-worker.ts) is SIGKILLed at random points KILLS times during a run
 * of MESSAGES inputs and restarted each time. Afterwards the output topic, read by a plain
 * consumer (which only ever sees committed data), holds exactly one output per input.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTopics, env, newClient, topicName } from './client-support.ts';

/** Inputs per run: 20k with 10 kills took ~100 s on a 2-core machine (Pulsar 4.0.7 standalone). */
const MESSAGES = 20_000;
const KILLS = 10;
const BATCH = 100;
/** How soon the coordinator aborts a killed worker's open transaction. */
const TXN_TIMEOUT_MS = 3_000;

const WORKER = fileURLToPath(new URL('./fixtures/txn-ctp-worker.ts', import.meta.url));
const client = newClient();
const children = new Set<ChildProcess>();

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await client.close();
  await cleanupTopics();
});

interface Worker {
  child: ChildProcess;
  /** Resolves at the first `committed` line (or rejects if the worker exits first). */
  firstCommit: Promise<void>;
  exited: Promise<number | null>;
  commits: () => number;
  aborts: () => number;
}

function startWorker(input: string, output: string): Worker {
  const child = spawn(process.execPath, [WORKER], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      CTP_SERVICE_URL: env.serviceUrl,
      CTP_INPUT: input,
      CTP_OUTPUT: output,
      CTP_SUBSCRIPTION: 'ctp',
      CTP_BATCH: String(BATCH),
      CTP_TXN_TIMEOUT_MS: String(TXN_TIMEOUT_MS),
    },
  });
  children.add(child);
  let commits = 0;
  let aborts = 0;
  let onCommit: () => void = () => undefined;
  const firstCommit = new Promise<void>((resolve) => (onCommit = resolve));
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => stderr.push(d));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('committed')) {
      commits++;
      onCommit();
    } else if (line.startsWith('aborted')) aborts++;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      if (code !== null && code !== 0) process.stderr.write(`worker exited ${code}: ${stderr.join('').slice(-2000)}\n`);
      resolve(code);
    }),
  );
  return { child, firstCommit, exited, commits: () => commits, aborts: () => aborts };
}

describe('transactional consume-transform-produce survives SIGKILL', () => {
  it(`writes exactly one output per input across ${KILLS} kills (${MESSAGES} messages)`, async () => {
    const input = topicName('ctp-in');
    const output = topicName('ctp-out');
    // Subscribe the checker first: it reads everything committed to the output from the start.
    const checker = await client.subscribe({ topic: output, subscription: 'check', initialPosition: 'Earliest', receiverQueueSize: 2000 });
    const producer = await client.createProducer({ topic: input, batchingMaxMessages: 500 });
    await Promise.all(Array.from({ length: MESSAGES }, (_, i) => producer.send(`m${i}`)));
    await producer.close();

    const counts = new Map<string, number>();
    let total = 0;
    const reading = (async () => {
      for (;;) {
        let m;
        try {
          m = await checker.receive(4_000);
        } catch (err) {
          if (total >= MESSAGES) return; // quiet after everything arrived: no late duplicates
          // Closed (the test timed out or failed): stop, rather than spin on instant rejections.
          if ((err as { code?: string }).code === 'BL_PULSAR_ALREADY_CLOSED') return;
          continue;
        }
        const k = m.payload.toString();
        counts.set(k, (counts.get(k) ?? 0) + 1);
        total++;
        checker.ack(m);
      }
    })();

    let killed = 0;
    let aborted = 0;
    const started = Date.now();
    while (killed < KILLS) {
      const w = startWorker(input, output);
      void w.exited.then(() => (aborted += w.aborts()));
      // Kill at a random point after the worker has made progress.
      const gotCommit = await Promise.race([w.firstCommit.then(() => true), w.exited.then(() => false)]);
      expect(gotCommit, 'worker died before committing anything').toBe(true);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1500)));
      w.child.kill('SIGKILL');
      await w.exited;
      killed++;
    }
    const last = startWorker(input, output);
    await reading;
    last.child.kill('SIGKILL');
    await last.exited;
    await checker.close();
    process.stderr.write(`[txn-kill] ${MESSAGES} inputs, ${KILLS} kills, ${aborted} aborted txns, ${Date.now() - started} ms\n`);

    const dupes = [...counts].filter(([, n]) => n > 1);
    expect(dupes.slice(0, 5)).toEqual([]);
    expect(counts.size).toBe(MESSAGES);
    for (let i = 0; i < MESSAGES; i += 997) expect(counts.get(`out:m${i}`)).toBe(1);
    expect(total).toBe(MESSAGES);
  }, 600_000);
});

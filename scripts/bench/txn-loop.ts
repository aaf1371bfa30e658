/**
 * Transactional consume-transform-produce throughput, the same loop in Beamline's client and in
 * the Java client (JavaPeer `txn-loop`): pre-fill an input topic, then read it back and, per
 * `perTxn` messages, send each payload to an output topic and ack it inside one transaction,
 * then commit. Only the loop is timed.
 */
import { spawn } from 'node:child_process';
import { createClient, type Message } from '@beamline/pulsar';
import { ensureJavaPeer, javaPeerJvmArgs } from '../java/peer-build.ts';
import { numberOption, type BenchCell, type BenchContext } from './suite.ts';

export interface TxnLoopPlan {
  serviceUrl: string;
  token: string | undefined;
  input: string;
  output: string;
  count: number;
  perTxn: number;
  size: number;
}

export interface TxnLoopFigures {
  messages: number;
  elapsedMs: number;
  perSec: number;
}

export async function runOursTxnLoop(p: TxnLoopPlan): Promise<TxnLoopFigures> {
  const client = createClient({ serviceUrl: p.serviceUrl, ...(p.token === undefined ? {} : { token: p.token }) });
  try {
    const pre = await client.createProducer({ topic: p.input, batchingMaxMessages: 1000 });
    const payload = Buffer.alloc(p.size, 7);
    await Promise.all(Array.from({ length: p.count }, () => pre.send(payload)));
    await pre.close();
    const consumer = await client.subscribe({
      topic: p.input,
      subscription: 'txn-loop',
      initialPosition: 'Earliest',
      receiverQueueSize: 1000,
    });
    const producer = await client.createProducer({ topic: p.output, sendTimeoutMs: 0 });
    const started = performance.now();
    let done = 0;
    while (done < p.count) {
      const txn = await client.newTransaction({ timeoutMs: 60_000 });
      const n = Math.min(p.perTxn, p.count - done);
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        const m: Message = await consumer.receive();
        ops.push(producer.send(m.payload, { txn }), consumer.ack(m, { txn }));
      }
      await Promise.all(ops);
      await txn.commit();
      done += n;
    }
    const elapsedMs = Math.max(1, performance.now() - started);
    return { messages: done, elapsedMs, perSec: (done * 1000) / elapsedMs };
  } finally {
    await client.close();
  }
}

export async function runJavaTxnLoop(p: TxnLoopPlan): Promise<TxnLoopFigures> {
  const build = ensureJavaPeer();
  const flags = { 'service-url': p.serviceUrl, input: p.input, output: p.output, count: p.count, 'per-txn': p.perTxn, size: p.size };
  const args = [...javaPeerJvmArgs(build), 'JavaPeer', 'txn-loop', ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)])];
  const env = { ...process.env };
  // The token goes through the environment, never argv.
  if (p.token !== undefined) env['PULSAR_TOKEN'] = p.token;
  else delete env['PULSAR_TOKEN'];
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
  const code = await new Promise<number | null>((res, rej) => {
    child.on('error', rej);
    child.on('close', res);
  }).finally(() => clearTimeout(timer));
  const summary = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l['summary'] === true);
  if (code !== 0 || summary === undefined)
    throw new Error(`java txn-loop exited with ${code}:\n${stderr.split('\n').slice(-15).join('\n')}`);
  return { messages: Number(summary['messages']), elapsedMs: Number(summary['elapsedMs']), perSec: Number(summary['perSec']) };
}

/**
 * The client suite's transactional phase: adds a "txn ctp msg/s" column to the java and
 * beamline rows (and the ratio row). Options --txn-count (default 5000), --txn-per (default 100).
 */
export async function addTxnPhase(
  ctx: BenchContext,
  t: {
    rows: Array<Record<string, BenchCell>>;
    notes: string[];
    topic: (name: string) => string;
    size: number;
    withJava: boolean;
    withOurs: boolean;
  },
): Promise<void> {
  const count = numberOption(ctx, 'txn-count', 5000);
  const perTxn = numberOption(ctx, 'txn-per', 100);
  const plan = (who: string): TxnLoopPlan => ({
    serviceUrl: ctx.serviceUrl,
    token: ctx.token,
    input: t.topic(`${who}-txn-in`),
    output: t.topic(`${who}-txn-out`),
    count,
    perTxn,
    size: t.size,
  });
  const column = 'txn ctp msg/s';
  const java = t.withJava ? await runJavaTxnLoop(plan('java')) : undefined;
  const ours = t.withOurs ? await runOursTxnLoop(plan('ours')) : undefined;
  ctx.log.info({ java: java?.perSec, ours: ours?.perSec }, 'transactional consume-transform-produce');
  const set = (prefix: string, v: number | undefined): void => {
    if (v === undefined) return;
    const r = t.rows.find((x) => String(x['client']).startsWith(prefix));
    if (r !== undefined) r[column] = prefix === 'ratio' ? v : Math.round(v);
    else t.rows.push({ client: prefix, [column]: prefix === 'ratio' ? v : Math.round(v) });
  };
  set('java', java?.perSec);
  set('beamline', ours?.perSec);
  if (java !== undefined && ours !== undefined) set('ratio', ours.perSec / java.perSec);
  t.notes.push(
    `"${column}": consume-transform-produce, ${perTxn} messages per transaction (send + ack inside it, then commit), ${count} messages of ${t.size} B; Java client defaults (its producer batches)`,
  );
}

/**
 * `npm run bench -- client`: Beamline's Pulsar client side by side with the official Java client
 * (Pulsar's own pulsar-perf) against the same broker in the same run, 1 KiB messages, batching
 * on. Three phases per client:
 *   1. max rate  - publish as fast as possible for --duration-s: produced msg/s (latency here is
 *                  queueing at saturation, reported but not compared),
 *   2. drain     - read that backlog from the earliest position: consumed msg/s,
 *   3. fixed rate - publish at --rate msg/s: send-to-ack latency p50/p99 (the comparable latency).
 *
 * Our side is scripts/bench/client-ours.ts (written by the client engineer), run when it exists:
 *   node scripts/bench/client-ours.ts --service-url U --admin-url A --topic T --duration-s D
 *        --rate R (0 = unlimited) --size 1024 --batching true
 * with PULSAR_TOKEN in its environment when the broker needs one; it must print (last stdout
 * line) {"producedPerSec":n,"consumedPerSec":n,"publishLatencyP50Ms":n,"publishLatencyP99Ms":n}.
 *
 * Options: --duration-s (default 5), --rate (default 5000), --size (default 1024),
 *          --skip-java, --skip-ours, --ours-script PATH (default scripts/bench/client-ours.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BeamlineError } from '../../../functions/index.ts';
import { ensureJavaPeer, JAVA_PEER_PULSAR_VERSION } from '../../java/peer-build.ts';
import { runPerfConsume, runPerfProduce } from '../pulsar-perf.ts';
import { numberOption, type BenchCell, type BenchContext, type SuiteResult } from '../suite.ts';

export const needsBroker = true;

const defaultOursScript = resolve(fileURLToPath(new URL('../client-ours.ts', import.meta.url)));

export interface ClientFigures {
  producedPerSec: number;
  consumedPerSec: number;
  /** At max rate (queueing at saturation). */
  saturatedP50Ms: number;
  saturatedP99Ms: number;
  /** At the fixed --rate. */
  publishLatencyP50Ms: number;
  publishLatencyP99Ms: number;
  /** What the fixed-rate phase actually achieved; below --rate means the client could not keep up. */
  fixedRateAchievedPerSec: number;
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const durationS = numberOption(ctx, 'duration-s', 5);
  const rate = numberOption(ctx, 'rate', 5000);
  const size = numberOption(ctx, 'size', 1024);
  const oursScript = resolve(ctx.options['ours-script'] ?? defaultOursScript);
  const runId = Math.random().toString(36).slice(2, 8);
  const topics: string[] = [];
  const topic = (name: string): string => {
    const t = `persistent://public/default/bench-client-${runId}-${name}`;
    topics.push(t);
    return t;
  };
  const notes: string[] = [
    `${size} B messages, batching on; max-rate and drain phases ${durationS} s; fixed-rate phase ${rate} msg/s for ${durationS} s`,
    'publish latency = send to broker ack; pulsar-perf excludes its first 1 s (warm-up) from latency',
    `"@rate" columns come from the fixed-rate phase at ${rate} msg/s`,
  ];
  const rows: Array<Record<string, BenchCell>> = [];
  let java: ClientFigures | undefined;
  let ours: ClientFigures | undefined;
  try {
    if (ctx.options['skip-java'] === undefined) {
      const build = ensureJavaPeer((line) => ctx.log.info({ line }, 'java peer'));
      java = await runJava(ctx, { durationS, rate, size, maxTopic: topic('java-max'), rateTopic: topic('java-rate') });
      rows.push(row(`java (client ${JAVA_PEER_PULSAR_VERSION}, pulsar-perf ${build.testclientVersion})`, java));
    }
    if (ctx.options['skip-ours'] === undefined) {
      if (existsSync(oursScript)) {
        ours = await runOurs(ctx, oursScript, { durationS, rate, size, maxTopic: topic('ours-max'), rateTopic: topic('ours-rate') });
        rows.push(row('beamline (TypeScript)', ours));
      } else {
        notes.push(`${oursScript} does not exist (yet): only the Java baseline was measured`);
      }
    }
    if (java !== undefined && ours !== undefined) {
      rows.push({
        client: 'ratio ours/java',
        'produced msg/s': ours.producedPerSec / java.producedPerSec,
        'consumed msg/s': ours.consumedPerSec / java.consumedPerSec,
        'saturated p50 ms': ours.saturatedP50Ms / java.saturatedP50Ms,
        'saturated p99 ms': ours.saturatedP99Ms / java.saturatedP99Ms,
        'p50 ms @rate': ours.publishLatencyP50Ms / java.publishLatencyP50Ms,
        'p99 ms @rate': ours.publishLatencyP99Ms / java.publishLatencyP99Ms,
        'achieved msg/s @rate': ours.fixedRateAchievedPerSec / java.fixedRateAchievedPerSec,
      });
      notes.push('ratio row: throughput > 1 means ours is faster; latency > 1 means ours is slower');
    }
  } finally {
    await deleteTopics(ctx, topics);
  }
  return { rows, notes };
}

function row(client: string, f: ClientFigures): Record<string, BenchCell> {
  // Column names must match the ratio row's.
  return {
    client,
    'produced msg/s': Math.round(f.producedPerSec),
    'consumed msg/s': Math.round(f.consumedPerSec),
    'saturated p50 ms': f.saturatedP50Ms,
    'saturated p99 ms': f.saturatedP99Ms,
    'p50 ms @rate': f.publishLatencyP50Ms,
    'p99 ms @rate': f.publishLatencyP99Ms,
    'achieved msg/s @rate': Math.round(f.fixedRateAchievedPerSec),
  };
}

interface PhasePlan {
  durationS: number;
  rate: number;
  size: number;
  maxTopic: string;
  rateTopic: string;
}

async function runJava(ctx: BenchContext, p: PhasePlan): Promise<ClientFigures> {
  const log = ctx.log.child({ client: 'java' });
  const conn = { serviceUrl: ctx.serviceUrl, token: ctx.token };
  log.info({ topic: p.maxTopic, durationS: p.durationS }, 'pulsar-perf produce at max rate');
  const max = await runPerfProduce({ ...conn, adminUrl: ctx.adminUrl, topic: p.maxTopic, durationS: p.durationS, rate: 0, sizeBytes: p.size });
  log.info({ records: max.records, msgPerSec: Math.round(max.msgPerSec) }, 'pulsar-perf drain backlog');
  const drain = await runPerfConsume({
    ...conn,
    topic: p.maxTopic,
    subscription: 'bench-drain',
    initial: 'Earliest',
    numMessages: max.records,
    durationS: Math.max(60, p.durationS * 6),
  });
  log.info({ rate: p.rate }, 'pulsar-perf produce at fixed rate');
  const fixed = await runPerfProduce({ ...conn, adminUrl: ctx.adminUrl, topic: p.rateTopic, durationS: p.durationS, rate: p.rate, sizeBytes: p.size });
  return {
    producedPerSec: max.msgPerSec,
    consumedPerSec: drain.msgPerSec,
    saturatedP50Ms: max.latency.p50Ms,
    saturatedP99Ms: max.latency.p99Ms,
    publishLatencyP50Ms: fixed.latency.p50Ms,
    publishLatencyP99Ms: fixed.latency.p99Ms,
    fixedRateAchievedPerSec: fixed.msgPerSec,
  };
}

interface OursLine {
  producedPerSec: number;
  consumedPerSec: number;
  publishLatencyP50Ms: number;
  publishLatencyP99Ms: number;
}

async function runOurs(ctx: BenchContext, script: string, p: PhasePlan): Promise<ClientFigures> {
  const log = ctx.log.child({ client: 'ours' });
  log.info({ topic: p.maxTopic }, 'client-ours at max rate');
  const max = await runOursOnce(ctx, script, p, p.maxTopic, 0);
  log.info({ topic: p.rateTopic, rate: p.rate }, 'client-ours at fixed rate');
  const fixed = await runOursOnce(ctx, script, p, p.rateTopic, p.rate);
  return {
    producedPerSec: max.producedPerSec,
    consumedPerSec: max.consumedPerSec,
    saturatedP50Ms: max.publishLatencyP50Ms,
    saturatedP99Ms: max.publishLatencyP99Ms,
    publishLatencyP50Ms: fixed.publishLatencyP50Ms,
    publishLatencyP99Ms: fixed.publishLatencyP99Ms,
    fixedRateAchievedPerSec: fixed.producedPerSec,
  };
}

async function runOursOnce(ctx: BenchContext, script: string, p: PhasePlan, topic: string, rate: number): Promise<OursLine> {
  const args = [
    script,
    '--service-url', ctx.serviceUrl,
    '--admin-url', ctx.adminUrl,
    '--topic', topic,
    '--duration-s', String(p.durationS),
    '--rate', String(rate),
    '--size', String(p.size),
    '--batching', 'true',
  ];
  const env = { ...process.env };
  if (ctx.token !== undefined) env['PULSAR_TOKEN'] = ctx.token;
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-8000)));
  const timeoutMs = p.durationS * 4000 + 60_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((res, rej) => {
    child.on('error', rej);
    child.on('close', res);
  }).finally(() => clearTimeout(timer));
  const last = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (code !== 0 || last === undefined) {
    throw new BeamlineError('BL_BENCH_CLIENT_OURS_FAILED', `client-ours.ts exited with ${code} without a result line:\n${stderr.split('\n').slice(-15).join('\n')}`, {
      details: { code },
    });
  }
  const parsed = JSON.parse(last) as Partial<OursLine>;
  for (const k of ['producedPerSec', 'consumedPerSec', 'publishLatencyP50Ms', 'publishLatencyP99Ms'] as const) {
    if (typeof parsed[k] !== 'number') {
      throw new BeamlineError('BL_BENCH_CLIENT_OURS_FAILED', `client-ours.ts result line lacks numeric ${k}: ${last.slice(0, 300)}`);
    }
  }
  return parsed as OursLine;
}

async function deleteTopics(ctx: BenchContext, topics: readonly string[]): Promise<void> {
  // A max-rate phase writes hundreds of MB to the shared dev broker; never leave it behind.
  for (const t of topics) {
    const path = t.replace('persistent://', 'persistent/');
    try {
      const res = await fetch(`${ctx.adminUrl}/admin/v2/${path}?force=true`, {
        method: 'DELETE',
        headers: ctx.token === undefined ? {} : { authorization: `Bearer ${ctx.token}` },
      });
      if (res.status !== 204 && res.status !== 404) ctx.log.warn({ topic: t, status: res.status }, 'could not delete bench topic');
    } catch (err) {
      ctx.log.warn({ topic: t, err }, 'could not delete bench topic');
    }
  }
}

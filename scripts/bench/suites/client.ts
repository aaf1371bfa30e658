/**
 * `npm run bench -- client`: Beamline's Pulsar client side by side with the official Java client
 * (Pulsar's own pulsar-perf) against the same broker in the same run, 1 KiB messages, batching
 * on. --rounds rounds (default 3) of three phases, the two clients alternating in every phase
 * (who goes first swaps each round) so machine noise hits both alike; figures are medians:
 *   1. max rate  - publish as fast as possible for --duration-s: produced msg/s (latency here is
 *                  queueing at saturation, reported but not compared),
 *   2. drain     - read that backlog from the earliest position: consumed msg/s,
 *   3. fixed rate - publish at --rate msg/s: send-to-ack latency p50/p99 (the comparable latency).
 *
 * Both sides measure alike: the same batching (1 ms delay, 1000 messages, 128 KiB), the first
 * 1 s of acks excluded from latency (pulsar-perf's warm-up), even pacing at a fixed rate
 * (pulsar-perf paces with a RateLimiter; client-ours.ts sleeps sub-millisecond between sends),
 * nothing consuming during the fixed-rate phase, a 1000-message receiver queue when draining.
 *
 * Our side is scripts/bench/client-ours.ts:
 *   node scripts/bench/client-ours.ts --service-url U --admin-url A --topic T --duration-s D
 *        --rate R (0 = unlimited) --size 1024 --batching true [--skip-consume]
 * with PULSAR_TOKEN in its environment when the broker needs one; it prints (last stdout line)
 * {"producedPerSec":n,"consumedPerSec":n,"publishLatencyP50Ms":n,"publishLatencyP99Ms":n,...}.
 *
 * Options: --duration-s (default 5), --rate (default 5000), --size (default 1024), --rounds
 *          (default 3), --skip-java, --skip-ours, --ours-script PATH (default scripts/bench/client-ours.ts),
 *          --baseline-script PATH: a second copy of client-ours.ts (e.g. an older checkout's) run in
 *          the same rounds and phases, so a change to the client is measured before/after side by
 *          side: rows "beamline baseline" and "ratio ours/baseline".
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BeamlineError } from '../../../functions/index.ts';
import { ensureJavaPeer, JAVA_PEER_PULSAR_VERSION } from '../../java/peer-build.ts';
import { BENCH_ERROR_CODES } from '../errors.ts';
import { runPerfConsume, runPerfProduce } from '../pulsar-perf.ts';
import { addTxnPhase } from '../txn-loop.ts';
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

/** CPU time per message of one client-ours.ts max-rate run (not measured for pulsar-perf). */
interface CpuFigures {
  produceCpuUsPerMsg: number;
  consumeCpuUsPerMsg: number;
}

export async function run(ctx: BenchContext): Promise<SuiteResult> {
  const durationS = numberOption(ctx, 'duration-s', 5);
  const rate = numberOption(ctx, 'rate', 5000);
  const size = numberOption(ctx, 'size', 1024);
  const rounds = Math.max(1, Math.round(numberOption(ctx, 'rounds', 3)));
  const oursScript = resolve(ctx.options['ours-script'] ?? defaultOursScript);
  const baselineScript = ctx.options['baseline-script'] === undefined ? undefined : resolve(ctx.options['baseline-script']);
  if (baselineScript !== undefined && !existsSync(baselineScript)) {
    throw new BeamlineError(
      BENCH_ERROR_CODES.clientOursFailed,
      `--baseline-script ${baselineScript} does not exist; pass the path of another checkout's scripts/bench/client-ours.ts`,
    );
  }
  const runId = Math.random().toString(36).slice(2, 8);
  const topics: string[] = [];
  const topic = (name: string): string => {
    const t = `persistent://public/default/bench-client-${runId}-${name}`;
    topics.push(t);
    return t;
  };
  const withJava = ctx.options['skip-java'] === undefined;
  let withOurs = ctx.options['skip-ours'] === undefined;
  const notes: string[] = [
    `${size} B messages, batching on (1 ms, 1000 messages, 128 KiB); per round and client: max rate for ${durationS} s, drain, ${rate} msg/s for ${durationS} s; ${rounds} round(s), clients alternating; every figure is the median over the rounds`,
    'publish latency = send to broker ack, acks in the first 1 s excluded on both sides (pulsar-perf warm-up); both pace evenly at the fixed rate',
    `"@rate" columns: the fixed-rate phase at ${rate} msg/s`,
  ];
  if (withOurs && !existsSync(oursScript)) {
    notes.push(`${oursScript} does not exist (yet): only the Java baseline was measured`);
    withOurs = false;
  }
  const rows: Array<Record<string, BenchCell>> = [];
  const plan = (name: string, r: number): PhasePlan => ({
    durationS,
    rate,
    size,
    maxTopic: topic(`${name}-max-${r}`),
    rateTopic: topic(`${name}-rate-${r}`),
  });
  const javaMax: MaxFigures[] = [];
  const oursMax: MaxFigures[] = [];
  const javaFixed: FixedFigures[] = [];
  const oursFixed: FixedFigures[] = [];
  const baseMax: MaxFigures[] = [];
  const oursCpu: CpuFigures[] = [];
  const baseCpu: CpuFigures[] = [];
  const baseFixed: FixedFigures[] = [];
  let javaLabel = 'java';
  try {
    if (withJava) {
      const build = ensureJavaPeer((line) => ctx.log.info({ line }, 'java peer'));
      javaLabel = `java (client ${JAVA_PEER_PULSAR_VERSION}, pulsar-perf ${build.testclientVersion})`;
    }
    for (let r = 0; r < rounds; r++) {
      // Every phase alternates the clients, and who goes first swaps each round, so the noise of
      // a shared machine hits both alike. A max-rate topic (hundreds of MB) goes once drained.
      const javaPlan = plan('java', r);
      const oursPlan = plan('ours', r);
      const maxJava = async (): Promise<void> => {
        if (!withJava) return;
        javaMax.push(await runJavaMax(ctx, javaPlan));
        await deleteTopics(ctx, [javaPlan.maxTopic]);
      };
      const maxOurs = async (): Promise<void> => {
        if (!withOurs) return;
        oursMax.push(await runOursMax(ctx, oursScript, oursPlan, oursCpu));
        await deleteTopics(ctx, [oursPlan.maxTopic]);
      };
      const fixedJava = async (): Promise<void> => {
        if (withJava) javaFixed.push(await runJavaFixed(ctx, javaPlan));
      };
      const fixedOurs = async (): Promise<void> => {
        if (withOurs) oursFixed.push(await runOursFixed(ctx, oursScript, oursPlan));
      };
      const basePlan = plan('base', r);
      const maxBase = async (): Promise<void> => {
        if (baselineScript === undefined) return;
        baseMax.push(await runOursMax(ctx, baselineScript, basePlan, baseCpu));
        await deleteTopics(ctx, [basePlan.maxTopic]);
      };
      const fixedBase = async (): Promise<void> => {
        if (baselineScript !== undefined) baseFixed.push(await runOursFixed(ctx, baselineScript, basePlan));
      };
      const javaFirst = r % 2 === 0;
      const order = javaFirst
        ? [maxJava, maxOurs, maxBase, fixedJava, fixedOurs, fixedBase]
        : [maxBase, maxOurs, maxJava, fixedBase, fixedOurs, fixedJava];
      for (const phase of order) await phase();
    }
    const javaF = javaMax.length === 0 ? undefined : { ...medianMax(javaMax), ...medianFixed(javaFixed) };
    const oursF = oursMax.length === 0 ? undefined : { ...medianMax(oursMax), ...medianFixed(oursFixed) };
    if (javaF !== undefined) rows.push(row(javaLabel, javaF));
    if (oursF !== undefined) rows.push(row('beamline (TypeScript)', oursF));
    const baseF = baseMax.length === 0 ? undefined : { ...medianMax(baseMax), ...medianFixed(baseFixed) };
    if (baseF !== undefined) rows.push(row('beamline baseline', baseF));
    for (const [who, list] of [
      ['java', javaMax],
      ['ours', oursMax],
      ['baseline', baseMax],
    ] as const) {
      if (list.length > 0)
        notes.push(
          `${who} rounds produced/consumed msg/s: ${list.map((f) => `${Math.round(f.producedPerSec)}/${Math.round(f.consumedPerSec)}`).join(', ')}`,
        );
    }
    for (const [who, list] of [
      ['java', javaFixed],
      ['ours', oursFixed],
      ['baseline', baseFixed],
    ] as const) {
      if (list.length > 0)
        notes.push(
          `${who} rounds @${rate} msg/s p50/p99 ms: ${list.map((f) => `${f.publishLatencyP50Ms}/${f.publishLatencyP99Ms}`).join(', ')}`,
        );
    }
    for (const [who, list] of [
      ['ours', oursCpu],
      ['baseline', baseCpu],
    ] as const) {
      const measured = list.filter((c) => c.consumeCpuUsPerMsg > 0);
      if (measured.length > 0) {
        notes.push(
          `${who} CPU µs per message (median; rounds): produce ${median(measured.map((c) => c.produceCpuUsPerMsg))}, consume ${median(measured.map((c) => c.consumeCpuUsPerMsg))} (${measured.map((c) => `${c.produceCpuUsPerMsg}/${c.consumeCpuUsPerMsg}`).join(', ')})`,
        );
      }
    }
    if (javaF !== undefined && oursF !== undefined) {
      rows.push(ratioRow('ratio ours/java', oursF, javaF));
      notes.push('ratio row: throughput > 1 means ours is faster; latency > 1 means ours is slower');
    }
    if (javaF !== undefined && baseF !== undefined) rows.push(ratioRow('ratio baseline/java', baseF, javaF));
    if (oursF !== undefined && baseF !== undefined) {
      rows.push(ratioRow('ratio ours/baseline', oursF, baseF));
      notes.push(`baseline: ${baselineScript}, run in the same rounds and phases as ours`);
    }
    // Transactional consume-transform-produce (scripts/bench/txn-loop.ts); --skip-txn leaves it out.
    if (ctx.options['skip-txn'] === undefined) await addTxnPhase(ctx, { rows, notes, topic, size, withJava, withOurs });
  } finally {
    await deleteTopics(ctx, topics);
  }
  return { rows, notes };
}

type MaxFigures = Pick<ClientFigures, 'producedPerSec' | 'consumedPerSec' | 'saturatedP50Ms' | 'saturatedP99Ms'>;
type FixedFigures = Pick<ClientFigures, 'publishLatencyP50Ms' | 'publishLatencyP99Ms' | 'fixedRateAchievedPerSec'>;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function medianMax(list: readonly MaxFigures[]): MaxFigures {
  return {
    producedPerSec: median(list.map((f) => f.producedPerSec)),
    consumedPerSec: median(list.map((f) => f.consumedPerSec)),
    saturatedP50Ms: median(list.map((f) => f.saturatedP50Ms)),
    saturatedP99Ms: median(list.map((f) => f.saturatedP99Ms)),
  };
}

function medianFixed(list: readonly FixedFigures[]): FixedFigures {
  return {
    publishLatencyP50Ms: median(list.map((f) => f.publishLatencyP50Ms)),
    publishLatencyP99Ms: median(list.map((f) => f.publishLatencyP99Ms)),
    fixedRateAchievedPerSec: median(list.map((f) => f.fixedRateAchievedPerSec)),
  };
}

function ratioRow(client: string, a: ClientFigures, b: ClientFigures): Record<string, BenchCell> {
  return {
    client,
    'produced msg/s': a.producedPerSec / b.producedPerSec,
    'consumed msg/s': a.consumedPerSec / b.consumedPerSec,
    'saturated p50 ms': a.saturatedP50Ms / b.saturatedP50Ms,
    'saturated p99 ms': a.saturatedP99Ms / b.saturatedP99Ms,
    'p50 ms @rate': a.publishLatencyP50Ms / b.publishLatencyP50Ms,
    'p99 ms @rate': a.publishLatencyP99Ms / b.publishLatencyP99Ms,
    'achieved msg/s @rate': a.fixedRateAchievedPerSec / b.fixedRateAchievedPerSec,
  };
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

async function runJavaMax(ctx: BenchContext, p: PhasePlan): Promise<MaxFigures> {
  const log = ctx.log.child({ client: 'java' });
  const conn = { serviceUrl: ctx.serviceUrl, token: ctx.token };
  log.info({ topic: p.maxTopic, durationS: p.durationS }, 'pulsar-perf produce at max rate');
  const max = await runPerfProduce({
    ...conn,
    adminUrl: ctx.adminUrl,
    topic: p.maxTopic,
    durationS: p.durationS,
    rate: 0,
    sizeBytes: p.size,
  });
  log.info({ records: max.records, msgPerSec: Math.round(max.msgPerSec) }, 'pulsar-perf drain backlog');
  const drain = await runPerfConsume({
    ...conn,
    topic: p.maxTopic,
    subscription: 'bench-drain',
    initial: 'Earliest',
    numMessages: max.records,
    durationS: Math.max(60, p.durationS * 6),
  });
  return {
    producedPerSec: max.msgPerSec,
    consumedPerSec: drain.msgPerSec,
    saturatedP50Ms: max.latency.p50Ms,
    saturatedP99Ms: max.latency.p99Ms,
  };
}

async function runJavaFixed(ctx: BenchContext, p: PhasePlan): Promise<FixedFigures> {
  ctx.log.child({ client: 'java' }).info({ rate: p.rate, topic: p.rateTopic }, 'pulsar-perf produce at fixed rate');
  const conn = { serviceUrl: ctx.serviceUrl, token: ctx.token };
  const fixed = await runPerfProduce({
    ...conn,
    adminUrl: ctx.adminUrl,
    topic: p.rateTopic,
    durationS: p.durationS,
    rate: p.rate,
    sizeBytes: p.size,
  });
  return { publishLatencyP50Ms: fixed.latency.p50Ms, publishLatencyP99Ms: fixed.latency.p99Ms, fixedRateAchievedPerSec: fixed.msgPerSec };
}

interface OursLine {
  producedPerSec: number;
  consumedPerSec: number;
  publishLatencyP50Ms: number;
  publishLatencyP99Ms: number;
  produceCpuUsPerMsg?: number;
  consumeCpuUsPerMsg?: number;
}

async function runOursMax(ctx: BenchContext, script: string, p: PhasePlan, cpu: CpuFigures[]): Promise<MaxFigures> {
  ctx.log.child({ client: 'ours' }).info({ topic: p.maxTopic }, 'client-ours at max rate, then drain');
  const max = await runOursOnce(ctx, script, p, p.maxTopic, 0, false);
  // An older client-ours.ts (a --baseline-script) may not print CPU figures.
  if (typeof max.consumeCpuUsPerMsg === 'number' && typeof max.produceCpuUsPerMsg === 'number') {
    cpu.push({ produceCpuUsPerMsg: max.produceCpuUsPerMsg, consumeCpuUsPerMsg: max.consumeCpuUsPerMsg });
  }
  return {
    producedPerSec: max.producedPerSec,
    consumedPerSec: max.consumedPerSec,
    saturatedP50Ms: max.publishLatencyP50Ms,
    saturatedP99Ms: max.publishLatencyP99Ms,
  };
}

async function runOursFixed(ctx: BenchContext, script: string, p: PhasePlan): Promise<FixedFigures> {
  ctx.log.child({ client: 'ours' }).info({ topic: p.rateTopic, rate: p.rate }, 'client-ours at fixed rate');
  // Like pulsar-perf produce: nothing consumes while the fixed-rate latency is measured.
  const fixed = await runOursOnce(ctx, script, p, p.rateTopic, p.rate, true);
  return {
    publishLatencyP50Ms: fixed.publishLatencyP50Ms,
    publishLatencyP99Ms: fixed.publishLatencyP99Ms,
    fixedRateAchievedPerSec: fixed.producedPerSec,
  };
}

async function runOursOnce(
  ctx: BenchContext,
  script: string,
  p: PhasePlan,
  topic: string,
  rate: number,
  skipConsume: boolean,
): Promise<OursLine> {
  const args = [
    script,
    '--service-url',
    ctx.serviceUrl,
    '--admin-url',
    ctx.adminUrl,
    '--topic',
    topic,
    '--duration-s',
    String(p.durationS),
    '--rate',
    String(rate),
    '--size',
    String(p.size),
    '--batching',
    'true',
    ...(skipConsume ? ['--skip-consume'] : []),
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
  const last = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (code !== 0 || last === undefined) {
    throw new BeamlineError(
      BENCH_ERROR_CODES.clientOursFailed,
      `client-ours.ts exited with ${code} without a result line:\n${stderr.split('\n').slice(-15).join('\n')}`,
      {
        details: { code },
      },
    );
  }
  const parsed = JSON.parse(last) as Partial<OursLine>;
  for (const k of ['producedPerSec', 'consumedPerSec', 'publishLatencyP50Ms', 'publishLatencyP99Ms'] as const) {
    if (typeof parsed[k] !== 'number') {
      throw new BeamlineError(BENCH_ERROR_CODES.clientOursFailed, `client-ours.ts result line lacks numeric ${k}: ${last.slice(0, 300)}`);
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

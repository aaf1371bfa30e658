/**
 * Runs Apache Pulsar's own `pulsar-perf produce|consume` (PulsarPerfTestTool from
 * pulsar-testclient, resolved by scripts/java/pom.xml) against a broker and turns its summary
 * into numbers: the Java baseline our client is compared with.
 *
 * Throughput is computed here, not taken from pulsar-perf's "Aggregated throughput" msg/s: that
 * figure divides by the time until its stats thread wakes up at shutdown (seconds after the run
 * ends), so it understates short runs. We divide the record count by the active phase instead,
 * timed from pulsar-perf's own log stamps ("Created N producers"/"Start receiving" -> "DONE").
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BeamlineError } from '../../functions/index.ts';
import { ensureJavaPeer, javaPeerJvmArgs } from '../java/peer-build.ts';
import { PULSAR_PERF_ERROR_CODES } from './errors.ts';

export { PULSAR_PERF_ERROR_CODES };

/** RateLimiter.create(0) throws inside pulsar-perf; "unlimited" is a rate no client reaches here. */
const UNLIMITED_RATE = 10_000_000;

interface PerfConnection {
  serviceUrl: string;
  /** Written to a 0600 temp file and passed as `file://` so it never appears in argv. */
  token?: string | undefined;
  /** Kill pulsar-perf after this long. @default durationS * 1000 + 60000 */
  timeoutMs?: number;
  /** Receives each stderr/stdout line (progress logging). */
  onLine?: (line: string) => void;
}

export interface PerfProduceOptions extends PerfConnection {
  adminUrl: string;
  topic: string;
  /** Publishing phase length. */
  durationS: number;
  /** Target msg/s; 0 = as fast as the client goes. @default 0 */
  rate?: number;
  /** @default 1024 */
  sizeBytes?: number;
  /** @default true */
  batching?: boolean;
  /** @default 1000 */
  batchMaxMessages?: number;
  /** @default 1 (pulsar-perf's default batching window) */
  batchDelayMs?: number;
  /** @default 'NONE' */
  compression?: 'NONE' | 'LZ4' | 'ZLIB' | 'ZSTD' | 'SNAPPY';
  /** Stop after this many messages (0 = duration only). @default 0 */
  numMessages?: number;
}

export interface LatencySummary {
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface PerfProduceResult {
  records: number;
  /** records / active publishing time. */
  msgPerSec: number;
  activeMs: number;
  /** pulsar-perf's own figure (see the file comment for why it is low on short runs). */
  reportedMsgPerSec: number;
  /** Send-to-ack latency after pulsar-perf's 1 s warm-up. */
  latency: LatencySummary;
}

export interface PerfConsumeOptions extends PerfConnection {
  topic: string;
  subscription: string;
  /** Give up after this long even if numMessages has not arrived. */
  durationS: number;
  /** Stop once this many arrived (0 = duration only). @default 0 */
  numMessages?: number;
  /** @default 'Earliest' */
  initial?: 'Earliest' | 'Latest';
  /** @default 'Exclusive' */
  type?: 'Exclusive' | 'Shared' | 'Key_Shared' | 'Failover';
}

export interface PerfConsumeResult {
  records: number;
  msgPerSec: number;
  activeMs: number;
  reportedMsgPerSec: number;
  /** Publish-to-receive latency; meaningless when draining an old backlog. */
  endToEndLatency: LatencySummary | null;
}

export async function runPerfProduce(opts: PerfProduceOptions): Promise<PerfProduceResult> {
  const rate = opts.rate === undefined || opts.rate <= 0 ? UNLIMITED_RATE : opts.rate;
  const args = [
    'produce',
    '-u',
    opts.serviceUrl,
    '-au',
    opts.adminUrl,
    '-r',
    String(rate),
    '-s',
    String(opts.sizeBytes ?? 1024),
    '-time',
    String(opts.durationS),
    '-m',
    String(opts.numMessages ?? 0),
    '-bm',
    String(opts.batchMaxMessages ?? 1000),
    '-b',
    String(opts.batchDelayMs ?? 1),
    '-z',
    opts.compression ?? 'NONE',
    ...(opts.batching === false ? ['-db'] : []),
  ];
  const out = await runPerf(args, opts.topic, opts);
  return parsePerfProduceOutput(out);
}

export async function runPerfConsume(opts: PerfConsumeOptions): Promise<PerfConsumeResult> {
  const args = [
    'consume',
    '-u',
    opts.serviceUrl,
    '-ss',
    opts.subscription,
    '-st',
    opts.type ?? 'Exclusive',
    '-sp',
    opts.initial ?? 'Earliest',
    '-time',
    String(opts.durationS),
    '-m',
    String(opts.numMessages ?? 0),
  ];
  const out = await runPerf(args, opts.topic, opts);
  return parsePerfConsumeOutput(out);
}

/** Parses a `pulsar-perf produce` log written with scripts/java/log4j2.xml (epoch-millis stamps). */
export function parsePerfProduceOutput(text: string): PerfProduceResult {
  const agg = /Aggregated throughput stats --- (\d+) records sent --- ([\d.]+) msg\/s/.exec(text);
  const lat = parseLatency(text);
  if (agg === null || lat === null) throw unparsable('produce', text);
  const records = Number(agg[1]);
  const activeMs = activePhaseMs(text, /Created \d+ producers/) ?? 0;
  return {
    records,
    msgPerSec: activeMs > 0 ? (records * 1000) / activeMs : Number(agg[2]),
    activeMs,
    reportedMsgPerSec: Number(agg[2]),
    latency: lat,
  };
}

/** Parses a `pulsar-perf consume` log written with scripts/java/log4j2.xml. */
export function parsePerfConsumeOutput(text: string): PerfConsumeResult {
  const agg = /Aggregated throughput stats --- (\d+) records received --- ([\d.]+) msg\/s/.exec(text);
  if (agg === null) throw unparsable('consume', text);
  const records = Number(agg[1]);
  // The consumer logs "Start receiving from N consumers ..." once subscribed.
  const activeMs = activePhaseMs(text, /Start receiving from \d+ consumers/) ?? 0;
  return {
    records,
    msgPerSec: activeMs > 0 ? (records * 1000) / activeMs : Number(agg[2]),
    activeMs,
    reportedMsgPerSec: Number(agg[2]),
    endToEndLatency: parseLatency(text),
  };
}

function parseLatency(text: string): LatencySummary | null {
  const m =
    /Aggregated latency stats --- Latency: mean:\s*([\d.]+) ms - med:\s*([\d.]+) - 95pct:\s*([\d.]+) - 99pct:\s*([\d.]+) - 99\.9pct:\s*([\d.]+) - 99\.99pct:\s*[\d.]+ - 99\.999pct:\s*[\d.]+ - Max:\s*([\d.]+)/.exec(
      text,
    );
  if (m === null) return null;
  const n = (i: number): number => Number(m[i]);
  return { meanMs: n(1), p50Ms: n(2), p95Ms: n(3), p99Ms: n(4), p999Ms: n(5), maxMs: n(6) };
}

/** Milliseconds between the last line matching `start` and the `DONE` line, from log stamps. */
function activePhaseMs(text: string, start: RegExp): number | undefined {
  let startMs: number | undefined;
  let doneMs: number | undefined;
  for (const line of text.split('\n')) {
    const stamp = /^(\d{13}) /.exec(line);
    if (stamp === null) continue;
    if (start.test(line)) startMs = Number(stamp[1]);
    else if (/- -+ ?DONE/.test(line) && doneMs === undefined) doneMs = Number(stamp[1]);
  }
  if (startMs === undefined || doneMs === undefined || doneMs <= startMs) return undefined;
  return doneMs - startMs;
}

async function runPerf(args: string[], topic: string, conn: PerfConnection & { durationS: number }): Promise<string> {
  const build = ensureJavaPeer();
  const tmp = mkdtempSync(join(tmpdir(), 'beamline-perf-'));
  try {
    // pulsar-perf insists on a client.conf path first; an empty one keeps every default.
    const conf = join(tmp, 'client.conf');
    writeFileSync(conf, '');
    const auth: string[] = [];
    if (conn.token !== undefined && conn.token !== '') {
      const tokenFile = join(tmp, 'token');
      writeFileSync(tokenFile, conn.token, { mode: 0o600 });
      auth.push('--auth-plugin', 'org.apache.pulsar.client.impl.auth.AuthenticationToken', '--auth-params', `file://${tokenFile}`);
    }
    const argv = [...javaPeerJvmArgs(build, 'perf'), 'org.apache.pulsar.testclient.PulsarPerfTestTool', conf, ...args, ...auth, topic];
    const child = spawn('java', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: string[] = [];
    let partial = '';
    const onData = (chunk: Buffer): void => {
      const s = chunk.toString('utf8');
      chunks.push(s);
      if (conn.onLine === undefined) return;
      const parts = (partial + s).split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) conn.onLine(p);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timeoutMs = conn.timeoutMs ?? conn.durationS * 1000 + 60_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const code = await new Promise<number | null>((res, rej) => {
      child.on('error', rej);
      child.on('close', (c) => res(c));
    }).finally(() => clearTimeout(timer));
    const out = chunks.join('');
    if (timedOut || code !== 0) {
      throw new BeamlineError(
        PULSAR_PERF_ERROR_CODES.failed,
        `pulsar-perf ${args[0] ?? ''} ${timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${code}`}:\n${out.split('\n').slice(-15).join('\n')}`,
        { details: { code } },
      );
    }
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function unparsable(what: string, text: string): BeamlineError {
  return new BeamlineError(
    PULSAR_PERF_ERROR_CODES.unparsable,
    `pulsar-perf ${what}: no Aggregated summary in its output:\n${text.split('\n').slice(-10).join('\n')}`,
  );
}

/**
 * Typed access to the Java interop peer (scripts/java/src/JavaPeer.java): the official Apache
 * Pulsar Java client, driven as a subprocess that answers in JSON lines. Interop tests use it as
 * the reference producer/consumer that Beamline's client must agree with.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import {
  JAVA_PEER_ERROR_CODES,
  JavaPeerError,
  ensureJavaPeer as buildJavaPeer,
  javaPeerJvmArgs,
  type JavaPeerBuild,
} from '../../scripts/java/peer-build.ts';

export { JavaPeerError, type JavaPeerBuild };

export type JavaCompression = 'NONE' | 'LZ4' | 'ZLIB' | 'ZSTD' | 'SNAPPY';
export type JavaSubscriptionType = 'Exclusive' | 'Shared' | 'Key_Shared' | 'Failover';

/** Resolves the jars and compiles the peer once (cached outside the repo); throws naming what is missing. */
export function ensureJavaPeer(): JavaPeerBuild {
  return buildJavaPeer((line) => void process.stderr.write(`[java-peer] ${line}\n`));
}

interface Connection {
  serviceUrl: string;
  /** Passed through the environment, never argv, so it does not show up in `ps`. */
  token?: string | undefined;
  /** Kill the JVM after this long. @default 120000 */
  timeoutMs?: number;
}

export interface JavaProduceOptions extends Connection {
  topic: string;
  count: number;
  /** @default true */
  batching?: boolean;
  /** @default 1000 */
  batchMax?: number;
  /** @default 'NONE' */
  compression?: JavaCompression;
  /** Message i gets key `${keyPrefix}${i % keys}`. @default no key */
  keyPrefix?: string;
  /** @default count */
  keys?: number;
  /** Bytes per payload (see {@link javaPeerPayload}). @default the short seed text */
  payloadSize?: number;
  /** Properties {index, origin: 'java-peer', unicode}. @default false */
  withProperties?: boolean;
  /** Event time 2020-01-01T00:00:00Z + i ms. @default false */
  eventTime?: boolean;
  /** Chunking on (batching off). @default false */
  chunking?: boolean;
  /** @default 65536 */
  chunkSize?: number;
  /** Produce inside one transaction, then commit (or abort with `abort`). @default false */
  txn?: boolean;
  /** @default false */
  abort?: boolean;
  producerName?: string;
}

export interface JavaProducedMessage {
  index: number;
  /** `ledger:entry:partition:batchIndex` */
  id: string;
  /** Base64 of the Java client's `MessageId.toByteArray()`. */
  idBytes: string;
  /** A chunked message's first chunk, `ledger:entry:partition:batchIndex`; null otherwise. */
  firstChunkId: string | null;
  key: string | null;
  properties: Record<string, string>;
  eventTime: number | null;
  payloadSize: number;
  payloadSha256: string;
  partition: number;
}

export interface JavaProduceResult {
  messages: JavaProducedMessage[];
  sent: number;
  txn: 'none' | 'committed' | 'aborted';
  elapsedMs: number;
}

export interface JavaConsumeOptions extends Connection {
  topic: string;
  subscription: string;
  count: number;
  /** @default 'Exclusive' */
  type?: JavaSubscriptionType;
  /** @default 'earliest' */
  initial?: 'earliest' | 'latest';
  /** Give up (and report what arrived) after this long. @default 30000 */
  receiveTimeoutMs?: number;
  /** @default true */
  ack?: boolean;
  /** Acknowledge inside one transaction, then commit or abort it. @default plain acks */
  txnAck?: 'commit' | 'abort';
}

export interface JavaConsumedMessage {
  id: string;
  /** Base64 of the Java client's `MessageId.toByteArray()`. */
  idBytes: string;
  /** A chunked message's first chunk, `ledger:entry:partition:batchIndex`; null otherwise. */
  firstChunkId: string | null;
  partition: number;
  topic: string;
  key: string | null;
  properties: Record<string, string>;
  eventTime: number | null;
  publishTime: number;
  producerName: string;
  redeliveryCount: number;
  payloadSize: number;
  payloadSha256: string;
  /** Null for payloads over 4 KiB (compare by hash). */
  payload: Buffer | null;
}

export interface JavaConsumeResult {
  messages: JavaConsumedMessage[];
  received: number;
  timedOut: boolean;
  txn: 'none' | 'committed' | 'aborted';
  elapsedMs: number;
}

export interface JavaConsumeHandle {
  /** Settles once the subscription exists: produce after this with `initial: 'latest'`. */
  subscribed: Promise<void>;
  result: Promise<JavaConsumeResult>;
}

/** The payload the peer sends for message `index`, so TypeScript can compute what to expect. */
export function javaPeerPayload(index: number, size?: number): Buffer {
  const seed = Buffer.from(`java-peer-message-${index}`, 'utf8');
  if (size === undefined) return seed;
  const out = Buffer.alloc(size);
  for (let p = 0; p < size; p++) out[p] = seed[p % seed.length] ?? 0;
  return out;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function javaProduce(opts: JavaProduceOptions): Promise<JavaProduceResult> {
  const flags: Record<string, string | number | boolean | undefined> = {
    'service-url': opts.serviceUrl,
    topic: opts.topic,
    count: opts.count,
    batching: opts.batching,
    'batch-max': opts.batchMax,
    compression: opts.compression,
    'key-prefix': opts.keyPrefix,
    keys: opts.keys,
    'payload-size': opts.payloadSize,
    'with-properties': opts.withProperties,
    'event-time': opts.eventTime,
    chunking: opts.chunking,
    'chunk-size': opts.chunkSize,
    txn: opts.txn,
    abort: opts.abort,
    'producer-name': opts.producerName,
  };
  const lines = await runJavaPeer('produce', flags, opts);
  const summary = lines.find((l) => l['summary'] === true);
  if (summary === undefined) throw peerFailed('produce printed no summary line', lines);
  return {
    messages: lines.filter((l) => l['summary'] !== true).map((l) => l as unknown as JavaProducedMessage),
    sent: Number(summary['sent']),
    txn: summary['txn'] as JavaProduceResult['txn'],
    elapsedMs: Number(summary['elapsedMs']),
  };
}

export function startJavaConsume(opts: JavaConsumeOptions): JavaConsumeHandle {
  let onSubscribed: () => void = () => undefined;
  let onNotSubscribed: (err: unknown) => void = () => undefined;
  const subscribed = new Promise<void>((res, rej) => {
    onSubscribed = res;
    onNotSubscribed = rej;
  });
  const flags = {
    'service-url': opts.serviceUrl,
    topic: opts.topic,
    subscription: opts.subscription,
    count: opts.count,
    type: opts.type,
    initial: opts.initial,
    'timeout-ms': opts.receiveTimeoutMs,
    ack: opts.ack,
    'txn-ack': opts.txnAck,
  };
  const result = runJavaPeer('consume', flags, opts, (line) => {
    if (line['subscribed'] === true) onSubscribed();
  }).then(
    (lines) => {
      onSubscribed();
      const summary = lines.find((l) => l['summary'] === true);
      if (summary === undefined) throw peerFailed('consume printed no summary line', lines);
      const messages = lines
        .filter((l) => l['summary'] !== true && l['subscribed'] !== true)
        .map((l): JavaConsumedMessage => {
          const payload = l['payload'];
          return { ...(l as unknown as JavaConsumedMessage), payload: typeof payload === 'string' ? Buffer.from(payload, 'base64') : null };
        });
      return {
        messages,
        received: Number(summary['received']),
        timedOut: summary['timedOut'] === true,
        txn: summary['txn'] as JavaConsumeResult['txn'],
        elapsedMs: Number(summary['elapsedMs']),
      };
    },
    (err: unknown) => {
      onNotSubscribed(err);
      throw err;
    },
  );
  // Callers that never await `subscribed` must not see an unhandled rejection from it.
  subscribed.catch(() => undefined);
  return { subscribed, result };
}

export async function javaConsume(opts: JavaConsumeOptions): Promise<JavaConsumeResult> {
  return startJavaConsume(opts).result;
}

export interface JavaReadOptions extends Connection {
  topic: string;
  /** A message id as another client serialized it (`MessageId.toBytes()`). */
  startId: Uint8Array;
  /** @default 1 */
  count?: number;
  /** @default false */
  inclusive?: boolean;
  /** An inclusive reader from earliest that then `seek(startId)`s, instead of starting at it. @default false */
  seek?: boolean;
  /** @default 15000 */
  readTimeoutMs?: number;
}

export interface JavaReadMessage {
  id: string;
  idBytes: string;
  firstChunkId: string | null;
  payloadSize: number;
  payloadSha256: string;
}

/** A Java reader started at (or seeking to) a serialized id; reports what it read. */
export async function javaRead(opts: JavaReadOptions): Promise<JavaReadMessage[]> {
  const lines = await runJavaPeer(
    'read',
    {
      'service-url': opts.serviceUrl,
      topic: opts.topic,
      'start-id-b64': Buffer.from(opts.startId).toString('base64'),
      count: opts.count,
      inclusive: opts.inclusive,
      seek: opts.seek,
      'timeout-ms': opts.readTimeoutMs,
    },
    opts,
  );
  return lines.filter((l) => l['summary'] !== true).map((l) => l as unknown as JavaReadMessage);
}

/** Avro records `beamline.test.Big {n: long, label: string}` with these 64-bit values, written by the Java client. */
export async function javaProduceAvroLong(opts: Connection & { topic: string; values: readonly bigint[] }): Promise<void> {
  await runJavaPeer('produce-avro-long', { 'service-url': opts.serviceUrl, topic: opts.topic, values: opts.values.join(',') }, opts);
}

/** Reads `count` Avro records with AUTO_CONSUME; `n` comes back exact, as a bigint. */
export async function javaConsumeAvroLong(
  opts: Connection & { topic: string; count: number; subscription?: string },
): Promise<{ n: bigint; label: string }[]> {
  const lines = await runJavaPeer(
    'consume-avro-long',
    { 'service-url': opts.serviceUrl, topic: opts.topic, count: opts.count, subscription: opts.subscription },
    opts,
  );
  return lines.filter((l) => l['summary'] !== true).map((l) => ({ n: BigInt(String(l['n'])), label: String(l['label']) }));
}

/** The partition the Java client's default router (JavaStringHash) picks for each key. */
export async function javaPartitionOf(keys: readonly string[], partitions: number): Promise<Map<string, number>> {
  if (keys.some((k) => k.includes(','))) {
    throw new JavaPeerError(
      JAVA_PEER_ERROR_CODES.runFailed,
      'javaPartitionOf: keys may not contain commas (the peer splits --keys on them)',
    );
  }
  const lines = await runJavaPeer('partition-of', { keys: keys.join(','), partitions }, {});
  return new Map(lines.map((l) => [String(l['key']), Number(l['partition'])]));
}

type JsonLine = Record<string, unknown>;

/** Spawns the JVM with `--flag value` pairs; resolves with every JSON line on stdout. */
export async function runJavaPeer(
  subcommand: string,
  flags: Record<string, string | number | boolean | undefined>,
  conn: Partial<Connection>,
  onLine?: (line: JsonLine) => void,
): Promise<JsonLine[]> {
  const build = ensureJavaPeer();
  const args = [...javaPeerJvmArgs(build), 'JavaPeer', subcommand];
  for (const [k, v] of Object.entries(flags)) {
    if (v !== undefined) args.push(`--${k}`, String(v));
  }
  // Keys and properties are UTF-8 ('kè-...'): Java 17 decodes argv and encodes stdout in the
  // locale's charset, so a process started with no LANG (ASCII) turned them into '?' and the
  // interop checks failed on a clean environment. The peer always runs in a UTF-8 locale.
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };
  if (conn.token !== undefined) env['PULSAR_TOKEN'] = conn.token;
  else delete env['PULSAR_TOKEN'];
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const lines: JsonLine[] = [];
  const stderr: string[] = [];
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (text) => {
    if (!text.startsWith('{')) return;
    try {
      const line = JSON.parse(text) as JsonLine;
      lines.push(line);
      onLine?.(line);
    } catch {
      stderr.push(`unparsable stdout line: ${text.slice(0, 200)}`);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr.push(chunk);
    // Only the tail matters for an error message.
    if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
  });
  const timeoutMs = conn.timeoutMs ?? 120_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((res, rej) => {
    child.on('error', rej);
    child.on('close', (c) => res(c));
  }).finally(() => clearTimeout(timer));
  if (timedOut || code !== 0) {
    const error = lines.find((l) => typeof l['error'] === 'string');
    const why = timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${code}`;
    throw new JavaPeerError(
      JAVA_PEER_ERROR_CODES.runFailed,
      `java peer ${subcommand} ${why}${error === undefined ? '' : `: ${String(error['error'])}`}\n${stderr.join('').split('\n').slice(-15).join('\n')}`,
      { details: { subcommand, code } },
    );
  }
  return lines;
}

function peerFailed(what: string, lines: JsonLine[]): JavaPeerError {
  return new JavaPeerError(JAVA_PEER_ERROR_CODES.runFailed, `java peer: ${what}`, { details: { lines: lines.length } });
}

/**
 * A model served elsewhere (#25): where it is, what it takes and gives, how to authenticate, and
 * how calls to it are bounded. Plain data, stored by the registry as a version's "artifact"; the
 * credential itself is never part of it, only a reference (an environment variable, a file, or a
 * mounted Secret) resolved by the process that makes the calls.
 */
import { ConfigError } from '../../errors.ts';
import { compileModelBreakerOptions, type ModelBreakerOptions } from '../model-breaker.ts';

/** Where a credential comes from: never the credential itself. */
export interface RemoteAuthRef {
  /**
   * `env`: an environment variable; `file`: a file path; `secret`: a Secret mounted as a file
   * under $BEAMLINE_SECRETS_DIR (default /var/run/secrets/beamline).
   */
  readonly kind: 'env' | 'file' | 'secret';
  readonly name: string;
  /** Header the credential goes in. @default 'authorization' */
  readonly header?: string;
  /** Prefix before the credential in that header ('' for none). @default 'Bearer' when header is authorization */
  readonly scheme?: string;
}

export interface RemoteCallOptions {
  /** One HTTP request longer than this is aborted (and retried when attempts remain). @default 1000 */
  requestTimeoutMs?: number;
  /** Requests to the endpoint in flight at once, per model version. @default 4 */
  maxInFlight?: number;
  /** Attempts per batch, the first included; only retriable failures are retried. @default 3 */
  maxAttempts?: number;
  /** Backoff cap of the first retry; doubles per retry; the delay is drawn uniformly below it (full jitter). @default 20 */
  retryBaseMs?: number;
  /** Largest backoff cap. @default 250 */
  retryMaxMs?: number;
  /** Rows per request (micro-batch). 1 sends one request per record. @default 64 */
  maxBatchSize?: number;
  /** Longest a record waits for its micro-batch to fill. @default 2 */
  maxWaitMs?: number;
  /** How long the health probe waits for the server and model to report ready. @default 30000 */
  readyTimeoutMs?: number;
  /** Send a credential over plain http to a non-loopback host (refused by default). @default false */
  allowInsecureAuth?: boolean;
  /**
   * The version's circuit breaker (the namespace gives the fallback decision; the timeout is the
   * batch's whole retry budget). @default the engine's: 50 %, 5 calls, 10000 ms open, 10000 ms window
   */
  breaker?: RemoteBreakerOptions;
}

export type RemoteBreakerOptions = Pick<
  ModelBreakerOptions,
  'errorThresholdPercentage' | 'volumeThreshold' | 'resetTimeoutMs' | 'rollingWindowMs'
>;

export interface RemoteModelSpec {
  /** Open Inference Protocol (KServe v2) over HTTP/REST. */
  readonly protocol: 'oip-rest';
  /** Base URL of the server, e.g. http://127.0.0.1:8080 (paths /v2/... are appended). */
  readonly endpoint: string;
  /** The model's name on the server. */
  readonly model: string;
  /** The model's version on the server, when it serves several. */
  readonly modelVersion?: string;
  /** Per-row shapes, without the batch dimension: input [features], output [outputs]. */
  readonly signature: { readonly input: readonly number[]; readonly output: readonly number[] };
  /** Input tensor name. @default the first input in the model's metadata, else 'input-0' */
  readonly inputName?: string;
  /** @default 'FP32' */
  readonly datatype?: 'FP32' | 'FP64';
  /**
   * Which output tensor to read (e.g. 'predict_proba' for a scikit-learn classifier served by
   * MLServer: it is then requested by name) and which of its per-row columns to keep
   * (e.g. [1]: the positive class's probability). @default the first output, every column
   */
  readonly output?: { readonly name?: string; readonly columns?: readonly number[] };
  readonly auth?: RemoteAuthRef;
  readonly calls?: RemoteCallOptions;
}

/** What the registry stores for a remote version, next to the in-process formats. */
export interface RemoteArtifact {
  readonly format: 'remote';
  readonly spec: RemoteModelSpec;
}

export interface RemoteCallConfig {
  readonly requestTimeoutMs: number;
  readonly maxInFlight: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly maxBatchSize: number;
  readonly maxWaitMs: number;
  readonly readyTimeoutMs: number;
  readonly allowInsecureAuth: boolean;
  readonly breaker: Readonly<RemoteBreakerOptions>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const HEADER = /^[A-Za-z0-9-]{1,64}$/;

function shape(field: string, v: unknown): readonly number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((d) => Number.isInteger(d) && (d as number) > 0)) {
    throw new ConfigError(
      field,
      v,
      'give a non-empty list of positive whole numbers (the per-row shape, without the batch dimension), e.g. [4]',
    );
  }
  return Object.freeze([...(v as number[])]);
}

function whole(field: string, v: unknown, dflt: number, min: number, max: number): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max)
    throw new ConfigError(field, x, `use a whole number from ${min} to ${max}`);
  return x;
}

export function compileRemoteCallOptions(o: RemoteCallOptions = {}, prefix = 'remote.calls'): RemoteCallConfig {
  const retryBaseMs = whole(`${prefix}.retryBaseMs`, o.retryBaseMs, 20, 0, 60_000);
  const retryMaxMs = whole(`${prefix}.retryMaxMs`, o.retryMaxMs, 250, 0, 600_000);
  if (retryMaxMs < retryBaseMs) throw new ConfigError(`${prefix}.retryMaxMs`, retryMaxMs, `must be >= retryBaseMs (${retryBaseMs})`);
  const b = o.breaker ?? {};
  if (b === null || typeof b !== 'object')
    throw new ConfigError(
      `${prefix}.breaker`,
      b,
      'give { errorThresholdPercentage?, volumeThreshold?, resetTimeoutMs?, rollingWindowMs? }',
    );
  const breaker: RemoteBreakerOptions = {
    ...(b.errorThresholdPercentage === undefined ? {} : { errorThresholdPercentage: b.errorThresholdPercentage }),
    ...(b.volumeThreshold === undefined ? {} : { volumeThreshold: b.volumeThreshold }),
    ...(b.resetTimeoutMs === undefined ? {} : { resetTimeoutMs: b.resetTimeoutMs }),
    ...(b.rollingWindowMs === undefined ? {} : { rollingWindowMs: b.rollingWindowMs }),
  };
  try {
    compileModelBreakerOptions(breaker);
  } catch (cause) {
    throw new ConfigError(`${prefix}.breaker`, breaker, (cause as Error).message, { cause });
  }
  return Object.freeze({
    requestTimeoutMs: whole(`${prefix}.requestTimeoutMs`, o.requestTimeoutMs, 1000, 1, 600_000),
    maxInFlight: whole(`${prefix}.maxInFlight`, o.maxInFlight, 4, 1, 1024),
    maxAttempts: whole(`${prefix}.maxAttempts`, o.maxAttempts, 3, 1, 20),
    retryBaseMs,
    retryMaxMs,
    maxBatchSize: whole(`${prefix}.maxBatchSize`, o.maxBatchSize, 64, 1, 4096),
    maxWaitMs: whole(`${prefix}.maxWaitMs`, o.maxWaitMs, 2, 0, 60_000),
    readyTimeoutMs: whole(`${prefix}.readyTimeoutMs`, o.readyTimeoutMs, 30_000, 1, 3_600_000),
    allowInsecureAuth: o.allowInsecureAuth ?? false,
    breaker: Object.freeze(breaker),
  });
}

/**
 * Validates a spec (from the registry, a file or code) and returns a frozen copy. Every error
 * names the field, the value and the fix.
 */
export function compileRemoteModelSpec(x: unknown, prefix = 'remote'): RemoteModelSpec {
  if (x === null || typeof x !== 'object') throw new ConfigError(prefix, x, 'give { protocol: "oip-rest", endpoint, model, signature }');
  const o = x as Record<string, unknown>;
  if (o['protocol'] !== 'oip-rest')
    throw new ConfigError(`${prefix}.protocol`, o['protocol'], 'use "oip-rest" (Open Inference Protocol over HTTP/REST)');
  let url: URL;
  try {
    url = new URL(String(o['endpoint']));
  } catch (cause) {
    throw new ConfigError(`${prefix}.endpoint`, o['endpoint'], 'give the server\'s base URL, e.g. "http://127.0.0.1:8080"', { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`${prefix}.endpoint`, o['endpoint'], 'use an http:// or https:// URL');
  if (url.username !== '' || url.password !== '')
    throw new ConfigError(
      `${prefix}.endpoint`,
      '[redacted]',
      'put no credentials in the URL; use auth: { kind: "env" | "file" | "secret", name }',
    );
  if (url.search !== '' || url.hash !== '')
    throw new ConfigError(`${prefix}.endpoint`, o['endpoint'], 'give a base URL without query or fragment');
  if (typeof o['model'] !== 'string' || !NAME.test(o['model']))
    throw new ConfigError(`${prefix}.model`, o['model'], 'name the model as the server knows it (letters, digits, ".", "_", "-")');
  const modelVersion = o['modelVersion'];
  if (modelVersion !== undefined && (typeof modelVersion !== 'string' || !NAME.test(modelVersion))) {
    throw new ConfigError(
      `${prefix}.modelVersion`,
      modelVersion,
      'give the server-side version (letters, digits, ".", "_", "-") or leave it out',
    );
  }
  const sig = o['signature'] as Record<string, unknown> | undefined;
  if (sig === undefined || sig === null || typeof sig !== 'object')
    throw new ConfigError(`${prefix}.signature`, sig, 'give { input: [features], output: [outputs] }');
  const signature = Object.freeze({
    input: shape(`${prefix}.signature.input`, sig['input']),
    output: shape(`${prefix}.signature.output`, sig['output']),
  });
  const inputName = o['inputName'];
  if (inputName !== undefined && (typeof inputName !== 'string' || inputName === ''))
    throw new ConfigError(`${prefix}.inputName`, inputName, "give the input tensor's name or leave it out");
  const datatype = o['datatype'] ?? 'FP32';
  if (datatype !== 'FP32' && datatype !== 'FP64') throw new ConfigError(`${prefix}.datatype`, datatype, 'use "FP32" or "FP64"');
  let output: RemoteModelSpec['output'];
  if (o['output'] !== undefined) {
    const out = o['output'] as Record<string, unknown>;
    if (out === null || typeof out !== 'object') throw new ConfigError(`${prefix}.output`, out, 'give { name?, columns? }');
    if (out['name'] !== undefined && (typeof out['name'] !== 'string' || out['name'] === ''))
      throw new ConfigError(`${prefix}.output.name`, out['name'], 'give the output tensor\'s name, e.g. "predict_proba"');
    const columns = out['columns'];
    if (
      columns !== undefined &&
      (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => Number.isInteger(c) && (c as number) >= 0))
    ) {
      throw new ConfigError(`${prefix}.output.columns`, columns, 'give the per-row column indexes to keep, e.g. [1]');
    }
    const outWidth = signature.output.reduce((a, b) => a * b, 1);
    if (Array.isArray(columns) && columns.length !== outWidth) {
      throw new ConfigError(`${prefix}.output.columns`, columns, `keep exactly as many columns as signature.output holds (${outWidth})`);
    }
    output = Object.freeze({
      ...(out['name'] === undefined ? {} : { name: out['name'] as string }),
      ...(columns === undefined ? {} : { columns: Object.freeze([...(columns as number[])]) }),
    });
  }
  let auth: RemoteAuthRef | undefined;
  if (o['auth'] !== undefined) {
    const a = o['auth'] as Record<string, unknown>;
    if (a === null || typeof a !== 'object')
      throw new ConfigError(`${prefix}.auth`, '[redacted]', 'give { kind: "env" | "file" | "secret", name }');
    if (a['kind'] !== 'env' && a['kind'] !== 'file' && a['kind'] !== 'secret')
      throw new ConfigError(`${prefix}.auth.kind`, a['kind'], 'use "env", "file" or "secret"');
    if (typeof a['name'] !== 'string' || a['name'] === '')
      throw new ConfigError(
        `${prefix}.auth.name`,
        a['name'],
        'name the variable, file or Secret holding the credential (never the credential)',
      );
    if (a['kind'] !== 'file' && !/^[A-Za-z0-9_.-]{1,253}$/.test(a['name']))
      throw new ConfigError(`${prefix}.auth.name`, a['name'], 'a variable or Secret name: letters, digits, "_", ".", "-"');
    if (a['header'] !== undefined && (typeof a['header'] !== 'string' || !HEADER.test(a['header'])))
      throw new ConfigError(`${prefix}.auth.header`, a['header'], 'give an HTTP header name, e.g. "authorization"');
    if (a['scheme'] !== undefined && typeof a['scheme'] !== 'string')
      throw new ConfigError(`${prefix}.auth.scheme`, a['scheme'], 'give a prefix such as "Bearer", or ""');
    auth = Object.freeze({
      kind: a['kind'],
      name: a['name'],
      ...(a['header'] === undefined ? {} : { header: (a['header'] as string).toLowerCase() }),
      ...(a['scheme'] === undefined ? {} : { scheme: a['scheme'] as string }),
    });
  }
  const callsIn = (o['calls'] ?? {}) as RemoteCallOptions;
  // Validated now so a bad spec is refused at push, not when a worker loads it.
  const calls = compileRemoteCallOptions(callsIn, `${prefix}.calls`);
  if (auth !== undefined && url.protocol === 'http:' && !isLoopback(url.hostname) && !calls.allowInsecureAuth) {
    throw new ConfigError(
      `${prefix}.endpoint`,
      url.origin,
      'a credential would cross the network in clear text: use https://, or set calls.allowInsecureAuth: true on a trusted network',
    );
  }
  const base = url.href.replace(/\/+$/, '');
  return Object.freeze({
    protocol: 'oip-rest',
    endpoint: base,
    model: o['model'],
    ...(modelVersion === undefined ? {} : { modelVersion: modelVersion as string }),
    signature,
    ...(inputName === undefined ? {} : { inputName: inputName as string }),
    datatype,
    ...(output === undefined ? {} : { output }),
    ...(auth === undefined ? {} : { auth }),
    calls: Object.freeze({ ...callsIn }),
  });
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

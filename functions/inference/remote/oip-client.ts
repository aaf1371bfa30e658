/**
 * The Open Inference Protocol (KServe v2) over HTTP/REST, as Triton, KServe and Seldon MLServer
 * serve it: server and model readiness, model metadata, and `infer` with one FP32/FP64 input
 * tensor of shape [rows, ...row]. Written from the protocol's description; one request per call,
 * no retries here (remote-scorer.ts decides those from the failure kind).
 *
 * Network note: scripts/dev/dependency-rules.ts keeps sockets in functions/pulsar/, and lets this
 * folder (the remote runtime) alone reach other servers, through Node's global fetch.
 */
import { systemClock, type Clock } from '../../clock.ts';
import { BeamlineError } from '../../errors.ts';
import { INFERENCE_ERROR_CODES } from '../errors.ts';
import type { RemoteModelSpec } from './remote-spec.ts';

/** Why a call failed: decides retries and labels the error metric. */
export type RemoteFailureKind = 'timeout' | 'unreachable' | 'server-error' | 'rejected' | 'bad-response';

const CODE_OF: Record<RemoteFailureKind, string> = {
  timeout: INFERENCE_ERROR_CODES.remoteTimeout,
  unreachable: INFERENCE_ERROR_CODES.remoteUnreachable,
  'server-error': INFERENCE_ERROR_CODES.remoteServerError,
  rejected: INFERENCE_ERROR_CODES.remoteRejected,
  'bad-response': INFERENCE_ERROR_CODES.remoteBadResponse,
};

/** Retried: the server was away, slow or failing. Not retried: it refused us, or answered nonsense. */
const RETRIABLE: ReadonlySet<RemoteFailureKind> = new Set(['timeout', 'unreachable', 'server-error']);

export class RemoteCallError extends BeamlineError {
  readonly kind: RemoteFailureKind;
  constructor(kind: RemoteFailureKind, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(CODE_OF[kind], message, {
      retriable: RETRIABLE.has(kind),
      details: { kind, ...details },
      ...(cause === undefined ? {} : { cause }),
    });
    this.kind = kind;
  }
}

export interface OipTensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

export interface OipModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly OipTensorMetadata[];
  readonly outputs: readonly OipTensorMetadata[];
}

export interface OipClientDeps {
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  clock?: Clock;
}

interface OipResponseOutput {
  name?: unknown;
  shape?: unknown;
  datatype?: unknown;
  data?: unknown;
}

export class OipClient {
  readonly #spec: RemoteModelSpec;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #modelPath: string;
  #nextId = 1;

  /** `headers` may hold the resolved credential: they are sent, never logged. */
  constructor(spec: RemoteModelSpec, headers: Readonly<Record<string, string>>, deps: OipClientDeps = {}) {
    this.#spec = spec;
    this.#headers = headers;
    this.#fetch = deps.fetch ?? globalThis.fetch;
    this.#clock = deps.clock ?? systemClock;
    const v = spec.modelVersion === undefined ? '' : `/versions/${encodeURIComponent(spec.modelVersion)}`;
    this.#modelPath = `/v2/models/${encodeURIComponent(spec.model)}${v}`;
  }

  /** GET /v2/health/ready: true on 200, false on any other status; throws when unreachable. */
  async serverReady(timeoutMs: number): Promise<boolean> {
    return (await this.#request('GET', '/v2/health/ready', undefined, timeoutMs)).status === 200;
  }

  /** GET /v2/models/{name}[/versions/{v}]/ready. */
  async modelReady(timeoutMs: number): Promise<boolean> {
    return (await this.#request('GET', `${this.#modelPath}/ready`, undefined, timeoutMs)).status === 200;
  }

  async metadata(timeoutMs: number): Promise<OipModelMetadata> {
    const body = await this.#json(await this.#request('GET', this.#modelPath, undefined, timeoutMs), 'metadata');
    const tensors = (v: unknown): OipTensorMetadata[] =>
      Array.isArray(v)
        ? v
            .filter((t): t is Record<string, unknown> => t !== null && typeof t === 'object')
            .map((t) => ({
              name: String(t['name'] ?? ''),
              datatype: String(t['datatype'] ?? ''),
              shape: Array.isArray(t['shape']) ? (t['shape'] as number[]) : [],
            }))
        : [];
    return {
      name: String(body['name'] ?? this.#spec.model),
      versions: Array.isArray(body['versions']) ? (body['versions'] as unknown[]).map(String) : [],
      platform: String(body['platform'] ?? ''),
      inputs: tensors(body['inputs']),
      outputs: tensors(body['outputs']),
    };
  }

  /**
   * Scores `rows` rows in one request. Returns the chosen output tensor's values, `rows` x the
   * per-row width (after column selection), row-major: row i of the answer is row i of the batch.
   */
  async infer(batch: Float32Array, rows: number, inputName: string, timeoutMs: number): Promise<{ values: Float32Array; perRow: number }> {
    const id = `bl-${this.#nextId++}`;
    const spec = this.#spec;
    const request = {
      id,
      inputs: [
        {
          name: inputName,
          shape: [rows, ...spec.signature.input],
          datatype: spec.datatype ?? 'FP32',
          data: Array.from(batch.subarray(0, rows * width(spec.signature.input))),
        },
      ],
      ...(spec.output?.name === undefined ? {} : { outputs: [{ name: spec.output.name }] }),
    };
    const res = await this.#request('POST', `${this.#modelPath}/infer`, JSON.stringify(request), timeoutMs);
    const body = await this.#json(res, 'infer');
    // A server that echoes ids must echo ours: an answer to another request is never used.
    if (body['id'] !== undefined && body['id'] !== id)
      throw new RemoteCallError('bad-response', 'infer response belongs to another request', { expected: id, got: body['id'] });
    const outputs = Array.isArray(body['outputs']) ? (body['outputs'] as OipResponseOutput[]) : [];
    const out = spec.output?.name === undefined ? outputs[0] : outputs.find((o) => o.name === spec.output?.name);
    if (out === undefined) {
      throw new RemoteCallError('bad-response', 'infer response has no usable output tensor', {
        wanted: spec.output?.name ?? '(first)',
        got: outputs.map((o) => o.name),
      });
    }
    const shape = Array.isArray(out.shape) ? (out.shape as number[]) : [];
    const data = flatten(out.data);
    if (shape[0] !== rows)
      throw new RemoteCallError('bad-response', 'infer response has a different number of rows than the request', { rows, shape });
    const got = shape.length <= 1 ? 1 : width(shape.slice(1));
    if (data.length !== rows * got || data.some((v) => typeof v !== 'number')) {
      throw new RemoteCallError('bad-response', 'infer response data does not match its shape', { shape, values: data.length });
    }
    const columns = spec.output?.columns;
    const perRow = width(spec.signature.output);
    if (columns === undefined) {
      if (got !== perRow)
        throw new RemoteCallError('bad-response', 'infer response has a different width than the signature', {
          expected: perRow,
          got,
          shape,
        });
      return { values: Float32Array.from(data as number[]), perRow };
    }
    const bad = columns.find((c) => c >= got);
    if (bad !== undefined)
      throw new RemoteCallError('bad-response', 'output.columns names a column the response does not have', { column: bad, width: got });
    const values = new Float32Array(rows * perRow);
    for (let r = 0; r < rows; r++) columns.forEach((c, j) => (values[r * perRow + j] = data[r * got + c] as number));
    return { values, perRow };
  }

  async #request(method: 'GET' | 'POST', path: string, body: string | undefined, timeoutMs: number): Promise<Response> {
    const ctl = new AbortController();
    let timedOut = false;
    const timer = this.#clock.setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, timeoutMs);
    const url = `${this.#spec.endpoint}${path}`;
    try {
      const res = await this.#fetch(url, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...this.#headers },
        ...(body === undefined ? {} : { body }),
        signal: ctl.signal,
      });
      // The body is read under the same deadline: a server that stalls mid-answer times out too.
      const text = await res.text();
      if (res.status >= 500)
        throw new RemoteCallError('server-error', `remote server answered ${res.status}`, {
          status: res.status,
          path,
          error: errorText(text),
        });
      if (res.status >= 400 && !(res.status === 404 && path.endsWith('/ready')) && !(res.status === 400 && path.endsWith('/ready'))) {
        throw new RemoteCallError('rejected', `remote server refused the request with ${res.status}`, {
          status: res.status,
          path,
          error: errorText(text),
        });
      }
      return new Response(text, { status: res.status });
    } catch (err) {
      if (err instanceof RemoteCallError) throw err;
      if (timedOut) throw new RemoteCallError('timeout', `remote call took longer than ${timeoutMs} ms`, { timeoutMs, path }, err);
      throw new RemoteCallError('unreachable', 'remote server unreachable', { path, reason: causeCode(err) }, err);
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  async #json(res: Response, what: string): Promise<Record<string, unknown>> {
    try {
      const v = (await res.json()) as unknown;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new RemoteCallError('bad-response', `remote ${what} response is not a JSON object`, { status: res.status });
  }
}

function width(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The protocol sends row-major flat data; some servers nest it by shape. */
function flatten(v: unknown): unknown[] {
  if (!Array.isArray(v)) return [];
  return v.some(Array.isArray) ? (v as unknown[]).flat(Infinity) : v;
}

/** The server's error text, cut short (it may echo input, never credentials: we send none in bodies). */
function errorText(text: string): string {
  try {
    const o = JSON.parse(text) as { error?: unknown };
    if (typeof o.error === 'string') return o.error.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.slice(0, 300);
}

function causeCode(err: unknown): string {
  const c = (err as { cause?: { code?: unknown } }).cause;
  return typeof c?.code === 'string' ? c.code : err instanceof Error ? err.message : String(err);
}

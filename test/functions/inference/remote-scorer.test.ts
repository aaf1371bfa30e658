/**
 * The remote runtime's own logic (#25) against a scripted Open Inference Protocol server on
 * loopback (a fake in a unit test; the real MLServer runs in test/integration/remote-model.test.ts):
 * batching into one request, results matched to rows when answers come back out of order, the
 * in-flight bound, per-request timeouts and jittered retries on a FakeClock, no retry on 4xx,
 * the breaker's fallback, the health probe and the credential reference.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../functions/clock.ts';
import { ConfigError, type BeamlineError } from '../../../functions/errors.ts';
import {
  InferenceEngine,
  RemoteScorer,
  compileRemoteModelSpec,
  jitteredBackoffMs,
  remoteEngineOptions,
  type RemoteModelSpec,
} from '../../../functions/inference/index.ts';
import { PrometheusMetrics } from '../../../functions/telemetry.ts';

interface Seen {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  headers: IncomingMessage['headers'];
}
type Reply = { status: number; body?: unknown } | 'stall' | 'reset' | ((res: ServerResponse) => void);

/** An OIP server whose infer answers are scripted per request; readiness and metadata answer at once. */
class FakeOip {
  readonly seen: Seen[] = [];
  ready = true;
  infer: (req: Seen, n: number) => Reply = (req) => ({ status: 200, body: echo(req) });
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const seen: Seen = {
          method: req.method ?? '',
          path: req.url ?? '',
          body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
          headers: req.headers,
        };
        this.seen.push(seen);
        let reply: Reply;
        if (seen.path.endsWith('/ready')) reply = { status: this.ready ? 200 : 503 };
        else if (seen.method === 'GET')
          reply = {
            status: 200,
            body: {
              name: 'm',
              versions: ['v1'],
              platform: 'sklearn',
              inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
              outputs: [],
            },
          };
        else reply = this.infer(seen, this.inferRequests().length);
        if (reply === 'stall') return;
        if (reply === 'reset') return void req.socket.destroy();
        if (typeof reply === 'function') return reply(res);
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      });
    });
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((r) => this.#server?.listen(0, '127.0.0.1', r));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  inferRequests(): Seen[] {
    return this.seen.filter((s) => s.path.endsWith('/infer'));
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((r) => this.#server?.close(r));
  }
}

/** predict_proba-like answer: per row [1 - x0, x0], so row i's score is its own first feature. */
function echo(req: Seen): Record<string, unknown> {
  const input = (req.body?.['inputs'] as { shape: number[]; data: number[] }[])[0] as { shape: number[]; data: number[] };
  const rows = input.shape[0] as number;
  const width = input.shape[1] as number;
  const data: number[] = [];
  for (let r = 0; r < rows; r++) data.push(1 - (input.data[r * width] as number), input.data[r * width] as number);
  return { model_name: 'm', id: req.body?.['id'], outputs: [{ name: 'predict_proba', shape: [rows, 2], datatype: 'FP64', data }] };
}

const servers: FakeOip[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const s of servers.splice(0)) await s.close();
});

async function server(): Promise<FakeOip> {
  const s = await new FakeOip().start();
  servers.push(s);
  return s;
}

function spec(port: number, calls: RemoteModelSpec['calls'] = {}, extra: Partial<RemoteModelSpec> = {}): RemoteModelSpec {
  return {
    protocol: 'oip-rest',
    endpoint: `http://127.0.0.1:${port}`,
    model: 'm',
    modelVersion: 'v1',
    signature: { input: [4], output: [1] },
    output: { name: 'predict_proba', columns: [1] },
    calls,
    ...extra,
  };
}

/** Lets real I/O happen (no clock involved) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** A FakeClock that records each sleep, so a test advances time only once the code waits. */
class SpyClock extends FakeClock {
  readonly sleeps: number[] = [];
  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return super.sleep(ms, signal);
  }
}

const row = (x0: number): Float32Array => Float32Array.of(x0, 0, 0, 0);

async function thrown(p: Promise<unknown>): Promise<BeamlineError> {
  try {
    await p;
  } catch (err) {
    return err as BeamlineError;
  }
  throw new Error('expected a rejection');
}

describe('compileRemoteModelSpec', () => {
  it('normalises a good spec and names the field of a bad one', () => {
    const s = compileRemoteModelSpec({
      protocol: 'oip-rest',
      endpoint: 'http://127.0.0.1:8080/',
      model: 'fraud',
      signature: { input: [4], output: [1] },
    });
    expect(s).toMatchObject({ endpoint: 'http://127.0.0.1:8080', datatype: 'FP32' });
    const bad = (x: Record<string, unknown>): string => {
      try {
        compileRemoteModelSpec({
          protocol: 'oip-rest',
          endpoint: 'http://127.0.0.1:8080',
          model: 'fraud',
          signature: { input: [4], output: [1] },
          ...x,
        });
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ protocol: 'grpc' })).toMatch(/^remote\.protocol: .*oip-rest/);
    expect(bad({ endpoint: 'ftp://x' })).toMatch(/^remote\.endpoint: .*http/);
    expect(bad({ endpoint: 'http://user:hunter2@host:1' })).not.toContain('hunter2');
    expect(bad({ signature: { input: [0], output: [1] } })).toMatch(/^remote\.signature\.input/);
    expect(bad({ output: { columns: [0, 1] } })).toMatch(/^remote\.output\.columns: .*exactly as many columns/);
    expect(bad({ auth: { kind: 'vault', name: 'x' } })).toMatch(/^remote\.auth\.kind/);
    expect(bad({ calls: { maxInFlight: 0 } })).toMatch(/^remote\.calls\.maxInFlight/);
    expect(bad({ calls: { breaker: { errorThresholdPercentage: 0 } } })).toMatch(/^remote\.calls\.breaker/);
    // A credential never crosses a non-loopback network in clear text unless asked for.
    expect(bad({ endpoint: 'http://models.internal:8080', auth: { kind: 'env', name: 'TOKEN' } })).toMatch(/https/);
    expect(() =>
      compileRemoteModelSpec({
        protocol: 'oip-rest',
        endpoint: 'https://models.internal',
        model: 'fraud',
        signature: { input: [4], output: [1] },
        auth: { kind: 'env', name: 'TOKEN' },
      }),
    ).not.toThrow();
  });

  it('draws backoff delays below a doubling cap', () => {
    expect([1, 2, 3, 4, 5].map((r) => jitteredBackoffMs(r, 20, 100, () => 0.999))).toEqual([19, 39, 79, 99, 99]);
    expect(jitteredBackoffMs(3, 20, 100, () => 0)).toBe(0);
  });
});

describe('RemoteScorer', () => {
  it('probes readiness and metadata, then sends a batch as one request and maps rows in order', async () => {
    const s = await server();
    const scorer = await RemoteScorer.connect(spec(s.port), { version: 'fraud@2', clock: new FakeClock() });
    expect(s.seen.map((x) => `${x.method} ${x.path}`)).toEqual([
      'GET /v2/health/ready',
      'GET /v2/models/m/versions/v1/ready',
      'GET /v2/models/m/versions/v1',
      'POST /v2/models/m/versions/v1/infer',
    ]);
    const r = await scorer.predict(Float32Array.of(0.1, 1, 1, 1, 0.7, 2, 2, 2, 0.3, 3, 3, 3), [3, 4]);
    expect(Array.from(r.output).map((v) => Number(v.toFixed(5)))).toEqual([0.1, 0.7, 0.3]);
    expect(r.version).toBe('fraud@2');
    const req = s.inferRequests()[1]?.body as { inputs: unknown[]; outputs: unknown[] };
    // The metadata's input name is used; the wanted output is requested by name.
    expect(req.inputs).toEqual([
      { name: 'features', shape: [3, 4], datatype: 'FP32', data: Array.from(Float32Array.of(0.1, 1, 1, 1, 0.7, 2, 2, 2, 0.3, 3, 3, 3)) },
    ]);
    expect(req.outputs).toEqual([{ name: 'predict_proba' }]);
    expect(scorer.describe()).toMatchObject({ format: 'remote', backend: 'remote-oip', rowShape: [4], outputsPerRow: 1 });
  });

  it('does not take traffic until the server reports ready, and gives up after readyTimeoutMs', async () => {
    const s = await server();
    s.ready = false;
    const clock = new SpyClock();
    const connecting = RemoteScorer.connect(spec(s.port, { readyTimeoutMs: 1000 }), { clock });
    await until(() => clock.sleeps.length === 1, 'the first probe');
    await clock.advance(250);
    await until(() => clock.sleeps.length === 2, 'the second probe');
    expect(s.inferRequests()).toHaveLength(0);
    s.ready = true;
    await clock.advance(250);
    await connecting;
    expect(s.inferRequests()).toHaveLength(1);

    s.ready = false;
    const never = RemoteScorer.connect(spec(s.port, { readyTimeoutMs: 500 }), { clock }).catch((e: unknown) => e);
    for (let i = 1; i <= 2; i++) {
      await until(() => clock.sleeps.length === 2 + i, 'a probe');
      await clock.advance(250);
    }
    expect(await never).toMatchObject({ code: 'BL_INFERENCE_REMOTE_NOT_READY', retriable: true });
    expect(s.inferRequests()).toHaveLength(1);
  });

  it('retries 5xx with jittered backoff on the clock, and succeeds when the server recovers', async () => {
    const s = await server();
    const clock = new SpyClock();
    const scorer = await RemoteScorer.connect(spec(s.port, { maxAttempts: 3, retryBaseMs: 20, retryMaxMs: 100 }), {
      clock,
      random: () => 0.5,
    });
    s.infer = (req, n) => (n <= 3 ? { status: 503, body: { error: 'overloaded' } } : { status: 200, body: echo(req) });
    const p = scorer.predict(row(0.25), [1, 4]);
    await until(() => clock.sleeps.length === 1, 'the first failure');
    expect(clock.sleeps[0]).toBe(10); // 0.5 x 20
    await clock.advance(9);
    await new Promise((r) => setTimeout(r, 20)); // real time passes, fake time does not: no retry yet
    expect(s.inferRequests()).toHaveLength(2);
    await clock.advance(1);
    await until(() => clock.sleeps.length === 2, 'the second failure');
    expect(s.inferRequests()).toHaveLength(3);
    expect(clock.sleeps[1]).toBe(20); // 0.5 x 40
    await clock.advance(20);
    expect(Array.from((await p).output)).toEqual([0.25]);
    expect(s.inferRequests()).toHaveLength(4);
  });

  it('does not retry a 4xx refusal', async () => {
    const s = await server();
    const metrics = new PrometheusMetrics();
    const scorer = await RemoteScorer.connect(spec(s.port, { maxAttempts: 5 }), { clock: new FakeClock(), metrics, version: 'fraud@1' });
    s.infer = () => ({ status: 422, body: { error: 'bad input' } });
    const err = await thrown(scorer.predict(row(0.1), [1, 4]));
    expect(err).toMatchObject({ code: 'BL_INFERENCE_REMOTE_REJECTED', retriable: false, details: { status: 422, error: 'bad input' } });
    expect(s.inferRequests()).toHaveLength(2);
    expect(await metrics.render()).toMatch(/beamline_remote_errors_total\{model="fraud@1",kind="rejected"\} 1/);
  });

  it('times a stalled request out on the clock, retries it, then fails as a timeout', async () => {
    const s = await server();
    const clock = new FakeClock();
    const scorer = await RemoteScorer.connect(spec(s.port, { requestTimeoutMs: 300, maxAttempts: 2, retryBaseMs: 0, retryMaxMs: 0 }), {
      clock,
    });
    s.infer = () => 'stall';
    const p = scorer.predict(row(0.1), [1, 4]).catch((e: unknown) => e as BeamlineError);
    await until(() => s.inferRequests().length === 2, 'the stalled request');
    await clock.advance(300);
    await until(() => s.inferRequests().length === 3, 'the retry');
    await clock.advance(300);
    expect(await p).toMatchObject({ code: 'BL_INFERENCE_REMOTE_TIMEOUT', retriable: true, details: { kind: 'timeout', timeoutMs: 300 } });
  });

  it('retries a reset connection and reports an unreachable server as unreachable', async () => {
    const s = await server();
    const scorer = await RemoteScorer.connect(spec(s.port, { maxAttempts: 2, retryBaseMs: 0, retryMaxMs: 0 }), { clock: new FakeClock() });
    s.infer = (req, n) => (n === 2 ? 'reset' : { status: 200, body: echo(req) });
    expect(Array.from((await scorer.predict(row(0.5), [1, 4])).output)).toEqual([0.5]);
    expect(s.inferRequests()).toHaveLength(3);
    await s.close();
    servers.length = 0;
    expect(await thrown(scorer.predict(row(0.5), [1, 4]))).toMatchObject({ code: 'BL_INFERENCE_REMOTE_UNREACHABLE', retriable: true });
  });

  it('refuses an answer that does not fit the batch', async () => {
    const s = await server();
    const scorer = await RemoteScorer.connect(spec(s.port, { maxAttempts: 3 }), { clock: new FakeClock() });
    s.infer = (req) => ({ status: 200, body: { ...echo(req), id: 'someone-else' } });
    expect(await thrown(scorer.predict(row(0.5), [1, 4]))).toMatchObject({ code: 'BL_INFERENCE_REMOTE_BAD_RESPONSE', retriable: false });
    s.infer = (req) => {
      const b = echo(req);
      (b['outputs'] as { shape: number[] }[])[0]!.shape = [1, 2];
      return { status: 200, body: b };
    };
    expect(await thrown(scorer.predict(Float32Array.of(0.1, 0, 0, 0, 0.2, 0, 0, 0), [2, 4]))).toMatchObject({
      code: 'BL_INFERENCE_REMOTE_BAD_RESPONSE',
    });
    expect(s.inferRequests()).toHaveLength(3);
  });

  it('keeps at most maxInFlight requests open and matches answers that arrive out of order', async () => {
    const s = await server();
    const scorer = await RemoteScorer.connect(spec(s.port, { maxInFlight: 2 }), { clock: new FakeClock() });
    const held: { req: Seen; res: ServerResponse }[] = [];
    s.infer = (req) => (res) => void held.push({ req, res });
    const results = [0.1, 0.2, 0.3, 0.4, 0.5].map((x) => scorer.predict(row(x), [1, 4]));
    await until(() => held.length === 2, 'two requests in flight');
    await new Promise((r) => setTimeout(r, 30));
    expect(held).toHaveLength(2);
    expect(scorer.inFlight.now).toBe(2);
    // Answer newest first, each time: completion order differs from submission order.
    let answered = 0;
    while (answered < 5) {
      await until(() => held.length > 0 && (held.length === 2 || answered >= 4), 'requests to answer');
      const h = held.pop() as { req: Seen; res: ServerResponse };
      h.res.writeHead(200, { 'content-type': 'application/json' });
      h.res.end(JSON.stringify(echo(h.req)));
      answered++;
    }
    const out = await Promise.all(results);
    expect(out.map((r) => Number((r.output[0] ?? 0).toFixed(5)))).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(scorer.inFlight.peak).toBe(2);
  });

  it('sends the referenced credential and never puts it in an error', async () => {
    const s = await server();
    const scorer = await RemoteScorer.connect(spec(s.port, { maxAttempts: 1 }, { auth: { kind: 'env', name: 'BL_TEST_TOKEN' } }), {
      clock: new FakeClock(),
      env: { BL_TEST_TOKEN: 's3cret-value' },
    });
    await scorer.predict(row(0.5), [1, 4]);
    expect(s.seen.every((x) => x.headers.authorization === 'Bearer s3cret-value')).toBe(true);
    s.infer = () => ({ status: 500 });
    const err = await thrown(scorer.predict(row(0.5), [1, 4]));
    expect(JSON.stringify(err.toJSON()) + err.message).not.toContain('s3cret');
    const missing = await thrown(RemoteScorer.connect(spec(s.port, {}, { auth: { kind: 'env', name: 'BL_TEST_TOKEN' } }), { env: {} }));
    expect(missing).toMatchObject({ code: 'BL_INFERENCE_REMOTE_AUTH' });
    expect(missing.message).toContain('BL_TEST_TOKEN');
  });
});

describe('InferenceEngine over a RemoteScorer', () => {
  it('micro-batches records into fewer requests, unpadded, each record getting its own score', async () => {
    const s = await server();
    const scorer = await RemoteScorer.connect(spec(s.port, { maxBatchSize: 16, maxWaitMs: 5, maxInFlight: 1 }));
    const engine = new InferenceEngine(scorer, remoteEngineOptions(scorer, 'fraud@1'));
    closers.push(() => engine.close());
    const xs = Array.from({ length: 12 }, (_, i) => (i + 1) / 20);
    const scores = await Promise.all(xs.map((x) => engine.score(row(x))));
    expect(scores.map((r) => (r.kind === 'scored' ? Number((r.outputs[0] ?? 0).toFixed(5)) : r.kind))).toEqual(xs);
    const infers = s.inferRequests().slice(1);
    expect(infers.length).toBeLessThan(12);
    // No padding rows: the rows sent add up to the records scored.
    expect(infers.reduce((n, r) => n + ((r.body?.['inputs'] as { shape: number[] }[])[0]?.shape[0] ?? 0), 0)).toBe(12);
  });

  it('falls back when the server fails, opens the breaker, and stops calling it', async () => {
    const s = await server();
    const metrics = new PrometheusMetrics();
    const scorer = await RemoteScorer.connect(
      spec(s.port, { maxAttempts: 1, maxBatchSize: 1, breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000 } }),
      { metrics, version: 'fraud@1' },
    );
    const engine = new InferenceEngine(scorer, remoteEngineOptions(scorer, 'fraud@1', { fallback: { decision: 'review' } }), { metrics });
    closers.push(() => engine.close());
    s.infer = () => ({ status: 500 });
    for (let i = 0; i < 2; i++)
      expect(await engine.score(row(0.5))).toMatchObject({ kind: 'fallback', reason: 'error', decision: { decision: 'review' } });
    expect(engine.breakerState).toBe('open');
    const before = s.inferRequests().length;
    expect(await engine.score(row(0.5))).toMatchObject({ kind: 'fallback', reason: 'open' });
    expect(s.inferRequests()).toHaveLength(before);
    const text = await metrics.render();
    expect(text).toMatch(/beamline_inference_breaker_state\{model="fraud@1"\} 2/);
    expect(text).toMatch(/beamline_remote_errors_total\{model="fraud@1",kind="server-error"\} 2/);
    expect(text).toMatch(/beamline_remote_request_seconds_count\{model="fraud@1",outcome="error"\} 2/);
    expect(text).toMatch(/beamline_remote_requests_in_flight_count\{model="fraud@1"\} 0/);
  });
});

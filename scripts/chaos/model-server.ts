/**
 * A model server the chaos suite controls: the Open Inference Protocol (KServe v2) REST calls a
 * Beamline remote model makes, answering each row with a score from its first feature (the
 * amount), so decisions are deterministic. Faults: added delay per call and per row, stall
 * (requests are held unanswered: the worker's calls time out), failing (HTTP 500).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export const CHAOS_MODEL = 'chaos';

/** Score of one row from its amount: high amounts block, middling ones go to review. */
export function chaosScore(amount: number): number {
  if (amount > 3000) return 0.95;
  if (amount > 1500) return 0.6;
  return 0.05;
}

export interface ModelFaults {
  /** Added to every infer call. */
  delayMs: number;
  /** Added per row of a batch (a model whose cost grows with the batch). */
  perRowMs: number;
  /** Hold every infer call unanswered until the stall ends. */
  stalled: boolean;
  /** Answer every infer call with HTTP 500. */
  failing: boolean;
}

export class ChaosModelServer {
  readonly #server: Server;
  readonly #held = new Set<() => void>();
  faults: ModelFaults = { delayMs: 0, perRowMs: 0, stalled: false, failing: false };
  calls = 0;
  rows = 0;
  #port = 0;

  private constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(): Promise<ChaosModelServer> {
    const s = new ChaosModelServer();
    await new Promise<void>((r) => s.#server.listen(0, '127.0.0.1', () => r()));
    s.#port = (s.#server.address() as { port: number }).port;
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  set(f: Partial<ModelFaults>): void {
    this.faults = { ...this.faults, ...f };
    if (!this.faults.stalled) this.#release();
  }

  heal(): void {
    this.set({ delayMs: 0, perRowMs: 0, stalled: false, failing: false });
  }

  async close(): Promise<void> {
    this.#release();
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }

  #release(): void {
    const held = [...this.#held];
    this.#held.clear();
    for (const h of held) h();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '';
    const json = (status: number, body: unknown): void => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET') {
      if (path === '/v2/health/ready' || path === `/v2/models/${CHAOS_MODEL}/ready`) return json(200, {});
      if (path === `/v2/models/${CHAOS_MODEL}`) {
        return json(200, {
          name: CHAOS_MODEL,
          versions: ['1'],
          platform: 'beamline-chaos',
          inputs: [{ name: 'input-0', datatype: 'FP32', shape: [-1, 3] }],
          outputs: [{ name: 'score', datatype: 'FP32', shape: [-1, 1] }],
        });
      }
      return json(404, { error: 'not found' });
    }
    if (req.method !== 'POST' || path !== `/v2/models/${CHAOS_MODEL}/infer`) return json(404, { error: 'not found' });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    this.calls++;
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: string; inputs: Array<{ shape: number[]; data: number[] }> };
    const input = body.inputs[0] as { shape: number[]; data: number[] };
    const rows = input.shape[0] as number;
    const width = input.shape[1] as number;
    this.rows += rows;
    if (this.faults.stalled) {
      // Held until the stall ends or the caller gives up (its request timeout).
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#held.delete(done);
          resolve();
        };
        this.#held.add(done);
        res.once('close', done);
      });
    }
    const wait = this.faults.delayMs + this.faults.perRowMs * rows;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (this.faults.failing) return json(500, { error: 'chaos: failing' });
    const data = Array.from({ length: rows }, (_, r) => chaosScore(input.data[r * width] ?? 0));
    json(200, { id: body.id, model_name: CHAOS_MODEL, outputs: [{ name: 'score', datatype: 'FP32', shape: [rows, 1], data }] });
  }
}

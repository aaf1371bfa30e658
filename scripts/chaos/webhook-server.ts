/**
 * A webhook receiver the chaos suite controls: applies each action once per `Idempotency-Key`
 * (as the sink's delivery contract asks of a receiver) and counts repeats. Faults: added delay,
 * failing (HTTP 503).
 */
import { createServer, type Server } from 'node:http';

export interface WebhookFaults {
  delayMs: number;
  failing: boolean;
}

export class ChaosWebhookServer {
  readonly #server: Server;
  faults: WebhookFaults = { delayMs: 0, failing: false };
  /** Keys applied (answered 2xx the first time). */
  readonly applied = new Set<string>();
  requests = 0;
  /** Requests for a key already applied (at-least-once delivery; deduplicated here). */
  repeats = 0;
  refused = 0;
  #port = 0;

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const key = String(req.headers['idempotency-key'] ?? '');
        const answer = (): void => {
          if (res.destroyed) return;
          if (this.faults.failing) {
            this.refused++;
            res.writeHead(503).end('chaos: failing');
            return;
          }
          if (this.applied.has(key)) this.repeats++;
          else this.applied.add(key);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        };
        if (this.faults.delayMs > 0) setTimeout(answer, this.faults.delayMs);
        else answer();
      });
    });
  }

  static async start(): Promise<ChaosWebhookServer> {
    const s = new ChaosWebhookServer();
    await new Promise<void>((r) => s.#server.listen(0, '127.0.0.1', () => r()));
    s.#port = (s.#server.address() as { port: number }).port;
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/actions`;
  }

  set(f: Partial<WebhookFaults>): void {
    this.faults = { ...this.faults, ...f };
  }

  heal(): void {
    this.faults = { delayMs: 0, failing: false };
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((r) => this.#server.close(r));
  }
}

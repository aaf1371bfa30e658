/**
 * The worker's HTTP surface for orchestrators and scrapers: /healthz (the process is alive and
 * not failed), /readyz (state restored, consuming), /metrics (Prometheus text; OpenMetrics with
 * exemplars when the scraper's Accept header asks for it, #22).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentTypeOf, metricsFormatFor, type Metrics } from '../telemetry.ts';

export interface HealthSource {
  /** Alive: false only when the worker has failed and should be restarted. */
  healthy(): boolean;
  /** Ready to take traffic: state restored and consuming. */
  ready(): boolean;
  /** A short word for humans: the worker's state. */
  describe(): string;
}

export interface HttpEndpoints {
  readonly port: number;
  close(): Promise<void>;
}

export async function startHttpEndpoints(host: string, port: number, health: HealthSource, metrics: Metrics): Promise<HttpEndpoints> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const ok = path === '/healthz' ? health.healthy() : health.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', state: health.describe() }));
      return;
    }
    if (path === '/metrics') {
      const format = metricsFormatFor(req.headers.accept);
      metrics.render(format).then(
        (text) => {
          res.writeHead(200, { 'content-type': format === 'prometheus' ? metrics.contentType : contentTypeOf(format), vary: 'accept' });
          res.end(text);
        },
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

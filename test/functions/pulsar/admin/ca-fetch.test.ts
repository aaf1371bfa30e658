/**
 * The admin client's `ca` option: https:// admin urls served with a private CA, over a local
 * https server whose certificate (SAN localhost, 127.0.0.1) is trusted only through `ca`.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../functions/errors.ts';
import { PULSAR_ADMIN_ERROR_CODES, PulsarAdmin, PulsarAdminError } from '../../../../functions/pulsar/admin/index.ts';

const cert = readFileSync(new URL('../client/fixtures/broker-cert.pem', import.meta.url));
const key = readFileSync(new URL('../client/fixtures/broker-key.pem', import.meta.url));

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** Answers /old/* with a 307 to /admin/*, /admin/v2/clusters with JSON, /silent never. */
async function start(): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer({ key, cert }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      if (req.url?.startsWith('/silent')) return;
      if (req.url?.startsWith('/old/')) {
        res.writeHead(307, { location: req.url.replace('/old/', '/') }).end();
      } else if (req.url?.startsWith('/other-host/')) {
        // Same server, another origin (the certificate also names 127.0.0.1).
        res
          .writeHead(307, {
            location: `https://127.0.0.1:${(server?.address() as AddressInfo).port}${req.url.replace('/other-host/', '/')}`,
          })
          .end();
      } else if (req.url?.startsWith('/plain/')) {
        res
          .writeHead(307, { location: `http://127.0.0.1:${(server?.address() as AddressInfo).port}${req.url.replace('/plain/', '/')}` })
          .end();
      } else if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(['edge', 'central']));
      } else {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `https://localhost:${(server.address() as AddressInfo).port}`, seen };
}

describe('PulsarAdmin over https with a private CA', () => {
  it('trusts the given CA, sending the token, method and body', async () => {
    const { url, seen } = await start();
    const admin = new PulsarAdmin({ url, token: 'tkn', ca: cert });
    expect(await admin.clusters.list()).toEqual(['edge', 'central']);
    await admin.tenants.create('acme', { adminRoles: [], allowedClusters: ['edge'] });
    expect(seen.map((s) => [s.method, s.url, s.authorization, s.body])).toEqual([
      ['GET', '/admin/v2/clusters', 'Bearer tkn', ''],
      ['PUT', '/admin/v2/tenants/acme', 'Bearer tkn', '{"adminRoles":[],"allowedClusters":["edge"]}'],
    ]);
  });

  it('follows a 307 keeping the method and body, as fetch does', async () => {
    const { url, seen } = await start();
    const admin = new PulsarAdmin({ url: `${url}/old`, ca: [cert] });
    await admin.tenants.create('acme', { adminRoles: ['a'], allowedClusters: [] });
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['PUT', '/old/admin/v2/tenants/acme', '{"adminRoles":["a"],"allowedClusters":[]}'],
      ['PUT', '/admin/v2/tenants/acme', '{"adminRoles":["a"],"allowedClusters":[]}'],
    ]);
  });

  it('keeps the token on a same-origin redirect only (#21)', async () => {
    const { url, seen } = await start();
    await new PulsarAdmin({ url: `${url}/old`, token: 'tkn', ca: cert }).clusters.list();
    await new PulsarAdmin({ url: `${url}/other-host`, token: 'tkn', ca: cert }).clusters.list();
    expect(seen.map((s) => [s.url, s.authorization])).toEqual([
      ['/old/admin/v2/clusters', 'Bearer tkn'],
      ['/admin/v2/clusters', 'Bearer tkn'],
      ['/other-host/admin/v2/clusters', 'Bearer tkn'],
      ['/admin/v2/clusters', undefined],
    ]);
  });

  it('refuses a redirect from https to plain http, sending nothing there (#21)', async () => {
    const { url, seen } = await start();
    const err = (await new PulsarAdmin({ url: `${url}/plain`, token: 'tkn', ca: cert }).clusters
      .list()
      .catch((e: unknown) => e)) as PulsarAdminError;
    expect(err.code).toBe(PULSAR_ADMIN_ERROR_CODES.insecureRedirect);
    expect(err.message).toContain('not https');
    expect(seen.map((s) => s.url)).toEqual(['/plain/admin/v2/clusters']);
  });

  it('the default fetch follows the same rules: token dropped on another origin (#21)', async () => {
    const seen: Array<[string, string | undefined]> = [];
    const plain = createHttpServer((req, res) => {
      seen.push([`${req.headers.host}${req.url}`, req.headers.authorization]);
      const port = (plain.address() as AddressInfo).port;
      if (req.url?.startsWith('/moved/'))
        res.writeHead(307, { location: `http://127.0.0.1:${port}${req.url.replace('/moved/', '/')}` }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('["c"]');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const port = (plain.address() as AddressInfo).port;
      expect(await new PulsarAdmin({ url: `http://localhost:${port}/moved`, token: 'tkn' }).clusters.list()).toEqual(['c']);
      expect(seen).toEqual([
        [`localhost:${port}/moved/admin/v2/clusters`, 'Bearer tkn'],
        [`127.0.0.1:${port}/admin/v2/clusters`, undefined],
      ]);
    } finally {
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('without the CA the request fails as unreachable and names the certificate problem', async () => {
    const { url } = await start();
    const err = (await new PulsarAdmin({ url }).clusters.list().catch((e: unknown) => e)) as PulsarAdminError;
    expect(err).toBeInstanceOf(PulsarAdminError);
    expect([err.code, err.status]).toEqual([PULSAR_ADMIN_ERROR_CODES.unreachable, 0]);
    expect(err.message).toMatch(/self[- ]signed certificate/);
  });

  it('times out with the timeout code', async () => {
    const { url } = await start();
    const admin = new PulsarAdmin({ url: `${url}/silent`, ca: cert, timeoutMs: 200 });
    const err = (await admin.clusters.list().catch((e: unknown) => e)) as PulsarAdminError;
    expect([err.code, err.retriable]).toEqual([PULSAR_ADMIN_ERROR_CODES.timeout, true]);
  });

  it('refuses an empty CA, and a CA together with a custom fetch', () => {
    expect(() => new PulsarAdmin({ url: 'https://b:8443', ca: '' })).toThrow(ConfigError);
    expect(() => new PulsarAdmin({ url: 'https://b:8443', ca: cert, fetch: globalThis.fetch })).toThrow(/either ca or a custom fetch/);
  });
});

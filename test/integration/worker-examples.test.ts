/**
 * Every example worker file under tenants/examples/ (the ones the README and `beamline worker
 * --help` point at) starts a real worker process against the test broker: /readyz answers 200,
 * and SIGTERM stops it with exit code 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createNamespace, createTenant, deleteTenant, env } from './worker-support.ts';

const examples = readdirSync('tenants/examples').filter((f) => f.endsWith('.worker.yaml'));
const tenants: string[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const t of tenants) await deleteTenant(t);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string, exited: () => string | undefined): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited();
    if (gone !== undefined) throw new Error(`${what}: the worker exited first (${gone})`);
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('example worker files', () => {
  it('there are examples to check', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  for (const example of examples) {
    it(`${example} starts a worker that becomes ready and stops cleanly`, { timeout: 120_000 }, async () => {
      const tenant = await createTenant('wex');
      tenants.push(tenant);
      await createNamespace(tenant, 'ns');
      // An edge worker reads another namespace's registry (ride-safety: central's); it must exist.
      const registryNs = (parseYaml(readFileSync(`tenants/examples/${example}`, 'utf8')) as { registry?: { namespace?: string } }).registry
        ?.namespace;
      if (registryNs !== undefined && registryNs !== 'ns') await createNamespace(tenant, registryNs);
      const port = await freePort();
      let stderr = '';
      const child = spawn(
        process.execPath,
        ['bin/beamline.js', 'worker', '-t', tenant, '-n', 'ns', '-c', `tenants/examples/${example}`, '--http-port', String(port)],
        {
          env: {
            ...process.env,
            PULSAR_SERVICE_URL: env.serviceUrl,
            PULSAR_ADMIN_URL: env.adminUrl,
            ...(env.token === undefined ? {} : { PULSAR_TOKEN: env.token }),
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      children.push(child);
      child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const exited = (): string | undefined =>
        child.exitCode !== null || child.signalCode !== null ? `code ${child.exitCode}, ${stderr}` : undefined;
      await until(
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
        60_000,
        `${example}: /readyz 200`,
        exited,
      );
      const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await done, stderr).toBe(0);
    });
  }
});

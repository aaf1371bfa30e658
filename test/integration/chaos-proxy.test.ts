/**
 * The chaos suite's TCP proxy over real loopback sockets: bytes pass unchanged, latency and
 * bandwidth limits are applied, pause holds traffic without losing it, resetAll() resets the
 * client's connection. No broker: an echo server stands in for the target.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChaosProxy } from '../../scripts/chaos/tcp-proxy.ts';

let echo: Server;
let echoPort = 0;
let proxy: ChaosProxy;

beforeAll(async () => {
  echo = createServer((s) => {
    s.on('error', () => undefined); // the reset test resets this side too
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoPort = (echo.address() as { port: number }).port;
  proxy = await ChaosProxy.start({ target: { host: '127.0.0.1', port: echoPort } });
});

afterAll(async () => {
  await proxy.close();
  await new Promise((r) => echo.close(r));
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port: proxy.port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `payload` and resolves with the echo once `payload.length` bytes came back, and the ms it took. */
function roundTrip(s: Socket, payload: Buffer, timeoutMs = 20_000): Promise<{ data: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const parts: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => reject(new Error(`no echo of ${payload.length} bytes within ${timeoutMs} ms (got ${got})`)), timeoutMs);
    const onData = (c: Buffer): void => {
      parts.push(c);
      got += c.length;
      if (got >= payload.length) {
        clearTimeout(timer);
        s.off('data', onData);
        resolve({ data: Buffer.concat(parts), ms: performance.now() - t0 });
      }
    };
    s.on('data', onData);
    s.write(payload);
  });
}

describe('ChaosProxy', () => {
  it('forwards bytes unchanged in both directions', async () => {
    proxy.heal();
    const s = await open();
    const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    const { data } = await roundTrip(s, payload);
    expect(data.equals(payload)).toBe(true);
    s.destroy();
  });

  it('adds the configured latency each way', async () => {
    proxy.heal();
    const s = await open();
    await roundTrip(s, Buffer.from('warm'));
    proxy.set({ latencyMs: 150, jitterMs: 0 });
    const { ms } = await roundTrip(s, Buffer.from('ping'));
    // 150 ms to the echo server and 150 ms back.
    expect(ms).toBeGreaterThanOrEqual(295);
    proxy.heal();
    s.destroy();
  });

  it('limits bandwidth', async () => {
    proxy.heal();
    const s = await open();
    proxy.set({ bandwidthBytesPerSec: 100_000 });
    // 50 kB at 100 kB/s takes at least 0.5 s each way; the echo comes back after both.
    const { ms, data } = await roundTrip(s, Buffer.alloc(50_000, 7));
    expect(data.length).toBe(50_000);
    expect(ms).toBeGreaterThanOrEqual(480);
    proxy.heal();
    s.destroy();
  });

  it('holds traffic while paused and delivers all of it on resume', async () => {
    proxy.heal();
    const s = await open();
    proxy.pause();
    let early = 0;
    const counter = (c: Buffer): void => void (early += c.length);
    s.on('data', counter);
    s.write('held');
    await new Promise((r) => setTimeout(r, 300));
    s.off('data', counter);
    expect(early).toBe(0);
    const pending = roundTrip(s, Buffer.from('-and-more'));
    proxy.resume();
    const { data } = await pending;
    expect(data.toString()).toBe('held-and-more');
    s.destroy();
  });

  it('resets every open connection', async () => {
    proxy.heal();
    const s = await open();
    await roundTrip(s, Buffer.from('x'));
    const closed = new Promise<string>((resolve) => {
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      s.once('close', () => resolve('close'));
    });
    expect(proxy.resetAll()).toBeGreaterThanOrEqual(1);
    expect(await closed).toBe('ECONNRESET');
    expect(proxy.stats().reset).toBeGreaterThanOrEqual(1);
  });
});

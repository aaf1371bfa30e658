/**
 * Connection failures say what went wrong: an untrusted TLS certificate and a plaintext client on
 * a TLS port need different fixes, and the error message names each.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { BeamlineError } from '../../../../functions/errors.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { closeAfterEach, FakeBroker } from './fake-broker.ts';

const cert = readFileSync(new URL('./fixtures/broker-cert.pem', import.meta.url));
const key = readFileSync(new URL('./fixtures/broker-key.pem', import.meta.url));

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

async function failure(p: Promise<unknown>): Promise<BeamlineError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BeamlineError);
  return err as BeamlineError;
}

describe('connect errors', () => {
  it('an untrusted broker certificate is named as a TLS verification failure', async () => {
    broker = await FakeBroker.start({ key, cert });
    client = createClient({ serviceUrl: broker.url, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
    const err = await failure(client.getPartitions('t'));
    expect(err.code).toBe('BL_PULSAR_CONNECT_FAILED');
    expect(err.message).toContain(broker.url);
    expect(err.message).toMatch(/TLS certificate verification failed .*tls\.ca/);
    expect(err.details['reason']).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('a refused port names the socket error', async () => {
    broker = await FakeBroker.start();
    const url = broker.url;
    await broker.close();
    broker = undefined;
    client = createClient({ serviceUrl: url, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
    const err = await failure(client.getPartitions('t'));
    expect(err.code).toBe('BL_PULSAR_CONNECT_FAILED');
    expect(err.message).toContain(`${url}: connect ECONNREFUSED`);
  });

  it('a pulsar:// client on a TLS listener is told to use pulsar+ssl://', async () => {
    broker = await FakeBroker.start({ key, cert });
    const plain = broker.url.replace('pulsar+ssl://', 'pulsar://');
    client = createClient({ serviceUrl: plain, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
    const err = await failure(client.getPartitions('t'));
    expect(err.code).toBe('BL_PULSAR_CONNECTION_CLOSED');
    expect(err.message).toContain(`${plain} closed the connection during the CONNECT handshake`);
    expect(err.message).toContain('use a pulsar+ssl:// url');
  });
});

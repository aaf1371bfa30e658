/**
 * Token authentication of our binary-protocol client against the REAL auth broker (`test-auth`:
 * AuthenticationProviderToken + authorization on): the superuser token works, a static token or
 * a provider function; no token, a token signed with another key, or garbage is refused at
 * CONNECT with a typed, non-retriable error; a valid token for a role without permissions is
 * refused at PRODUCER/SUBSCRIBE with an authorization error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BeamlineError } from '../../functions/index.ts';
import { decodeTokenClaims, readSecretKeyFile, signHs256Token } from '../../functions/control-plane.ts';
import { createClient, type ClientOptions, type PulsarClient } from '@beamline/pulsar';
import { newSecretKey, signToken } from '../../local-broker/index.ts';
import { pulsarAuthEnv, uniqueName } from '../support/pulsar-env.ts';

const env = pulsarAuthEnv();
const superuserToken = env.token ?? '';
const clients: PulsarClient[] = [];

function client(extra: Partial<ClientOptions> = {}): PulsarClient {
  const c = createClient({ serviceUrl: env.serviceUrl, operationTimeoutMs: 10_000, ...extra });
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const topic = (): string => `persistent://public/default/${uniqueName('auth')}`;

async function refusal(p: Promise<unknown>): Promise<BeamlineError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BeamlineError);
  return err as BeamlineError;
}

describe('token auth against the real auth broker', () => {
  it('the superuser token connects, produces and consumes', async () => {
    expect(superuserToken).not.toBe('');
    const c = client({ token: superuserToken });
    const t = topic();
    const consumer = await c.subscribe({ topic: t, subscription: 's', initialPosition: 'Earliest' });
    const producer = await c.createProducer({ topic: t });
    await producer.send('hello with a token');
    const m = await consumer.receive(10_000);
    expect(m.payload.toString()).toBe('hello with a token');
    consumer.ack(m);
    const [conn] = await c.pool.connections();
    expect(conn?.state).toBe('ready');
  });

  it('a token provider function is asked for the token and works', async () => {
    let calls = 0;
    const provider = async (): Promise<string> => {
      calls++;
      await new Promise((r) => setImmediate(r));
      return superuserToken;
    };
    const c = client({ token: provider });
    const t = topic();
    const producer = await c.createProducer({ topic: t });
    const id = await producer.send('from a provider');
    expect(id.entryId).toBeGreaterThanOrEqual(0n);
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(await c.getPartitions(t)).toBe(0);
  });

  it('no token is refused with a typed authentication error', async () => {
    const err = await refusal(client().createProducer({ topic: topic() }));
    expect(err.code).toBe('BL_PULSAR_AUTHENTICATION');
    expect(err.retriable).toBe(false);
  });

  it('a forged token (signed with another key) and a malformed one are refused', async () => {
    const forged = signToken(newSecretKey(), 'admin');
    const e1 = await refusal(client({ token: forged }).createProducer({ topic: topic() }));
    expect(e1.code).toBe('BL_PULSAR_AUTHENTICATION');
    expect(e1.retriable).toBe(false);
    // The error never carries the token.
    expect(JSON.stringify(e1.toJSON())).not.toContain(forged);
    const e2 = await refusal(client({ token: () => 'not-a-jwt' }).subscribe({ topic: topic(), subscription: 's' }));
    expect(e2.code).toBe('BL_PULSAR_AUTHENTICATION');
  });

  it('a valid token of a role without permissions authenticates but is refused with an authorization error', async () => {
    const token = signHs256Token({ sub: uniqueName('nobody') }, readSecretKeyFile(env.secretKeyFile));
    const c = client({ token });
    const err = await refusal(c.createProducer({ topic: topic() }));
    expect(err.code).toBe('BL_PULSAR_AUTHORIZATION');
    expect(err.retriable).toBe(false);
  });
});

describe('token refresh against the real auth broker (authenticationRefreshCheckSeconds=2)', () => {
  const role = String(decodeTokenClaims(superuserToken).sub);
  const expiringToken = (seconds: number): string =>
    signHs256Token({ sub: role, exp: Math.floor(Date.now() / 1000) + seconds }, readSecretKeyFile(env.secretKeyFile));

  it('answers the AUTH_CHALLENGE for an expired token with a fresh one from the provider, on the same connection', async () => {
    let issued = 0;
    const c = client({
      token: () => {
        issued++;
        return expiringToken(3);
      },
    });
    const t = topic();
    const consumer = await c.subscribe({ topic: t, subscription: 's', initialPosition: 'Earliest' });
    const producer = await c.createProducer({ topic: t, batching: false });
    const [conn] = await c.pool.connections();
    // Run past two expiries: the broker challenges each expired token within ~2 s.
    const until = Date.now() + 9000;
    let n = 0;
    while (Date.now() < until) {
      await producer.send(`m${n}`);
      expect((await consumer.receive(10_000)).payload.toString()).toBe(`m${n}`);
      n++;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(issued).toBeGreaterThanOrEqual(3);
    const after = await c.pool.connections();
    expect(after).toHaveLength(1);
    expect(after[0]).toBe(conn);
    expect(conn?.state).toBe('ready');
  });

  it('a static token that expires is not refreshed: the broker drops the connection (so the test above proves the refresh)', async () => {
    const c = client({ token: expiringToken(2), operationTimeoutMs: 3000 });
    const producer = await c.createProducer({ topic: topic(), batching: false, sendTimeoutMs: 3000 });
    const [conn] = await c.pool.connections();
    expect(conn?.state).toBe('ready');
    const deadline = Date.now() + 15_000;
    while (conn?.state === 'ready' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(conn?.state).not.toBe('ready');
    await expect(producer.send('after expiry')).rejects.toBeInstanceOf(BeamlineError);
  });
});

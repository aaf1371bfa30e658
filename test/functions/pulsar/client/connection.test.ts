import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { authIdentity, createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, ServerError } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

describe('connection handshake and auth', () => {
  it('sends CONNECT with client version, protocol 21, feature flags and a static token', async () => {
    broker = await FakeBroker.start();
    client = createClient({ serviceUrl: broker.url, token: 'tok-1' }, { clock: new FakeClock() });
    expect(await client.getPartitions('t')).toBe(0);
    const [connect] = await broker.waitFor(CommandType.CONNECT);
    const c = connect?.command.connect;
    expect(c?.client_version).toMatch(/^beamline/);
    expect(c?.protocol_version).toBe(21);
    expect(c?.auth_method_name).toBe('token');
    expect(c?.auth_data?.toString()).toBe('tok-1');
    expect(c?.feature_flags?.supports_auth_refresh).toBe(true);
    const conns = await client.pool.connections();
    expect(conns[0]?.protocolVersion).toBe(21);
  });

  it('negotiates down to the broker protocol version and reads max_message_size', async () => {
    broker = await FakeBroker.start();
    broker.handler = (f, reply, s) => {
      if (f.command.type === CommandType.CONNECT) {
        reply({ type: CommandType.CONNECTED, connected: { server_version: 'old', protocol_version: 15, max_message_size: 1024 } });
      } else defaultHandler(f, reply, s);
    };
    client = createClient({ serviceUrl: broker.url }, { clock: new FakeClock() });
    await client.getPartitions('t');
    const [conn] = await client.pool.connections();
    expect(conn?.protocolVersion).toBe(15);
    expect(conn?.maxMessageSize).toBe(1024);
  });

  it('answers AUTH_CHALLENGE with a fresh token from the provider', async () => {
    broker = await FakeBroker.start();
    let n = 0;
    client = createClient({ serviceUrl: broker.url, token: async () => `tok-${++n}` }, { clock: new FakeClock() });
    await client.getPartitions('t');
    broker.sockets[0]?.write(
      (await import('../../../../functions/pulsar/wire/index.ts')).encodeCommand({
        type: CommandType.AUTH_CHALLENGE,
        authChallenge: { server_version: 'fake', challenge: { auth_method_name: 'token', auth_data: Buffer.from('refresh') } },
      }),
    );
    const [resp] = await broker.waitFor(CommandType.AUTH_RESPONSE);
    expect(resp?.command.authResponse?.response?.auth_method_name).toBe('token');
    expect(resp?.command.authResponse?.response?.auth_data?.toString()).toBe('tok-2');
  });

  it('maps a handshake ERROR to a stable BL_PULSAR code', async () => {
    broker = await FakeBroker.start();
    broker.handler = (f, reply) => {
      if (f.command.type === CommandType.CONNECT) {
        reply({
          type: CommandType.ERROR,
          error: { request_id: 0, error: ServerError['AuthenticationError'] as number, message: 'bad token' },
        });
      }
    };
    client = createClient({ serviceUrl: broker.url, token: 'bad' }, { clock: new FakeClock() });
    await expect(client.getPartitions('t')).rejects.toMatchObject({ code: 'BL_PULSAR_AUTHENTICATION', retriable: false });
  });

  it('keys pooled connections by auth identity', () => {
    expect(authIdentity(undefined)).toBe('anonymous');
    expect(authIdentity('a')).toBe(authIdentity('a'));
    expect(authIdentity('a')).not.toBe(authIdentity('b'));
    const p1 = (): string => 'x';
    const p2 = (): string => 'x';
    expect(authIdentity(p1)).toBe(authIdentity(p1));
    expect(authIdentity(p1)).not.toBe(authIdentity(p2));
    expect(authIdentity('a')).not.toContain('a:'); // never the token itself
  });
});

describe('keep-alive', () => {
  it('answers a broker PING with PONG', async () => {
    broker = await FakeBroker.start();
    client = createClient({ serviceUrl: broker.url }, { clock: new FakeClock() });
    await client.getPartitions('t');
    const { encodeCommand } = await import('../../../../functions/pulsar/wire/index.ts');
    broker.sockets[0]?.write(encodeCommand({ type: CommandType.PING, ping: {} }));
    await broker.waitFor(CommandType.PONG);
  });

  it('PINGs an idle broker and closes the connection when no reply comes', async () => {
    broker = await FakeBroker.start();
    const clock = new FakeClock();
    client = createClient({ serviceUrl: broker.url, keepAliveIntervalMs: 30_000 }, { clock });
    await client.getPartitions('t');
    broker.handler = () => undefined; // stop answering anything, PINGs included
    await clock.advance(30_000);
    await broker.waitFor(CommandType.PING);
    const [conn] = await client.pool.connections();
    expect(conn?.state).toBe('ready');
    await clock.advance(30_000);
    expect(conn?.state).toBe('closed');
    expect(client.pool.size).toBe(0);
  });
});

describe('request timeouts', () => {
  it('times out a request with BL_PULSAR_TIMEOUT through the shared ticker', async () => {
    broker = await FakeBroker.start();
    const clock = new FakeClock();
    client = createClient({ serviceUrl: broker.url, operationTimeoutMs: 5000, keepAliveIntervalMs: 0 }, { clock });
    await client.getPartitions('t');
    broker.handler = (f, reply, s) => {
      if (f.command.type !== CommandType.PARTITIONED_METADATA) defaultHandler(f, reply, s);
    };
    const p = client.getPartitions('t');
    const settled = expect(p).rejects.toMatchObject({ code: 'BL_PULSAR_TIMEOUT', retriable: true });
    await broker.waitFor(CommandType.PARTITIONED_METADATA, 2);
    await clock.advance(5100);
    await settled;
    expect(client.pendingDeadlines).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('leaves no timers behind after a burst of 2000 requests (defect: a timer per request)', async () => {
    broker = await FakeBroker.start();
    const clock = new FakeClock();
    client = createClient({ serviceUrl: broker.url, keepAliveIntervalMs: 0 }, { clock });
    const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => client!.getPartitions(`t${i}`)));
    expect(results.every((r) => r === 0)).toBe(true);
    expect(client.pendingDeadlines).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    const [conn] = await client.pool.connections();
    expect(conn?.pendingRequests).toBe(0);
  });

  it('rejects pending requests when the connection drops', async () => {
    broker = await FakeBroker.start();
    client = createClient({ serviceUrl: broker.url, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
    await client.getPartitions('t');
    broker.handler = (f) => {
      if (f.command.type === CommandType.PARTITIONED_METADATA) broker?.sockets[0]?.destroy();
    };
    await expect(client.getPartitions('t2')).rejects.toMatchObject({ code: 'BL_PULSAR_CONNECTION_CLOSED', retriable: true });
    expect(client.pendingDeadlines).toBe(0);
  });
});

describe('lookup', () => {
  it('follows redirects (authoritative) and connects through the proxy when told to', async () => {
    broker = await FakeBroker.start();
    const redirectTo = 'pulsar://broker-b.internal:6650';
    broker.handler = (f, reply, s) => {
      const c = f.command;
      if (c.type === CommandType.LOOKUP) {
        const lk = c.lookupTopic;
        if (lk?.authoritative !== true) {
          reply({
            type: CommandType.LOOKUP_RESPONSE,
            lookupTopicResponse: {
              request_id: lk?.request_id ?? 0,
              response: 0,
              brokerServiceUrl: redirectTo,
              authoritative: true,
              proxy_through_service_url: true,
            },
          });
        } else {
          reply({
            type: CommandType.LOOKUP_RESPONSE,
            lookupTopicResponse: { request_id: lk.request_id, response: 1, brokerServiceUrl: redirectTo, proxy_through_service_url: true },
          });
        }
        return;
      }
      if (c.type === CommandType.PRODUCER) {
        reply({ type: CommandType.PRODUCER_SUCCESS, producer_success: { request_id: c.producer?.request_id ?? 0, producer_name: 'p' } });
        return;
      }
      defaultHandler(f, reply, s);
    };
    client = createClient({ serviceUrl: broker.url, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
    const producer = await client.createProducer({ topic: 'persistent://public/default/x' });
    const connects = broker.of(CommandType.CONNECT);
    expect(connects).toHaveLength(2);
    expect(connects[1]?.command.connect?.proxy_to_broker_url).toBe('broker-b.internal:6650');
    expect(broker.of(CommandType.LOOKUP).map((f) => f.command.lookupTopic?.authoritative ?? false)).toEqual([false, true]);
    expect(producer.partitionProducers[0]?.connection?.logicalUrl).toBe(redirectTo);
    await producer.close();
  });

  it('fails a lookup with the broker error mapped', async () => {
    broker = await FakeBroker.start();
    broker.handler = (f, reply, s) => {
      if (f.command.type === CommandType.LOOKUP) {
        reply({
          type: CommandType.LOOKUP_RESPONSE,
          lookupTopicResponse: {
            request_id: f.command.lookupTopic?.request_id ?? 0,
            response: 2,
            error: ServerError['TopicNotFound'] as number,
            message: 'nope',
          },
        });
      } else defaultHandler(f, reply, s);
    };
    client = createClient({ serviceUrl: broker.url, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
    await expect(client.createProducer({ topic: 'x' })).rejects.toMatchObject({ code: 'BL_PULSAR_TOPIC_NOT_FOUND' });
  });
});

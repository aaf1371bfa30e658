/**
 * A broker just restarted answers the first SUBSCRIBE / PRODUCER with retriable errors
 * ("Not enough non-faulty bookies", ServiceNotReady) for a while: creation retries until the
 * operation timeout instead of failing its caller; non-retriable answers fail at once.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, ServerError } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker } from './fake-broker.ts';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

const topic = 'persistent://public/default/t';

/** A broker that answers the first `failures` SUBSCRIBE and PRODUCER commands with `error`. */
async function start(failures: number, error: keyof typeof ServerError): Promise<{ b: FakeBroker; clock: FakeClock }> {
  const b = await FakeBroker.start();
  let subscribes = 0;
  let producers = 0;
  b.handler = (f, reply, s) => {
    const c = f.command;
    const requestId =
      c.type === CommandType.SUBSCRIBE ? c.subscribe!.request_id : c.type === CommandType.PRODUCER ? c.producer!.request_id : undefined;
    const failing =
      (c.type === CommandType.SUBSCRIBE && ++subscribes <= failures) || (c.type === CommandType.PRODUCER && ++producers <= failures);
    if (requestId !== undefined && failing) {
      reply({ type: CommandType.ERROR, error: { request_id: requestId, error: ServerError[error] as number, message: `${error} (fake)` } });
      return;
    }
    defaultHandler(f, reply, s);
  };
  broker = b;
  const clock = new FakeClock();
  client = createClient(
    { serviceUrl: b.url, keepAliveIntervalMs: 0, initialBackoffMs: 100, maxBackoffMs: 1_000, operationTimeoutMs: 30_000 },
    { clock },
  );
  return { b, clock };
}

/**
 * Wait (real time) until the broker saw the first `type` command, so the connection is up, then
 * advance the fake clock in small steps, letting the event loop turn between them, until `p`
 * settles: backoff sleeps pass on the fake clock, replies arrive on the real sockets.
 */
async function settle<T>(b: FakeBroker, clock: FakeClock, type: number, p: Promise<T>): Promise<T> {
  let done = false;
  const out = p.finally(() => (done = true));
  out.catch(() => undefined);
  await Promise.race([b.waitFor(type, 1), out]);
  for (let i = 0; i < 5_000 && !done; i++) {
    await clock.advance(50);
    await new Promise((r) => setTimeout(r, 1));
  }
  return out;
}

describe('creating a consumer or producer on a broker that is not ready yet', () => {
  it('subscribes after two PersistenceError answers', async () => {
    const { b, clock } = await start(2, 'PersistenceError');
    const c = await settle(b, clock, CommandType.SUBSCRIBE, client!.subscribe({ topic, subscription: 's' }));
    expect(b.of(CommandType.SUBSCRIBE)).toHaveLength(3);
    await c.close();
  });

  it('creates a producer after two ServiceNotReady answers', async () => {
    const { b, clock } = await start(2, 'ServiceNotReady');
    const p = await settle(b, clock, CommandType.PRODUCER, client!.createProducer({ topic }));
    expect(b.of(CommandType.PRODUCER)).toHaveLength(3);
    await p.close();
  });

  it('fails at once on a non-retriable answer', async () => {
    const { b, clock } = await start(1, 'AuthorizationError');
    await expect(settle(b, clock, CommandType.SUBSCRIBE, client!.subscribe({ topic, subscription: 's' }))).rejects.toMatchObject({
      code: 'BL_PULSAR_AUTHORIZATION',
    });
    expect(b.of(CommandType.SUBSCRIBE)).toHaveLength(1);
  });

  it('gives up with the broker error once the operation timeout has passed', async () => {
    const { b, clock } = await start(1_000, 'PersistenceError');
    await expect(settle(b, clock, CommandType.SUBSCRIBE, client!.subscribe({ topic, subscription: 's' }))).rejects.toMatchObject({
      code: 'BL_PULSAR_PERSISTENCE_ERROR',
    });
    expect(b.of(CommandType.SUBSCRIBE).length).toBeGreaterThan(3);
  });
});

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, topicsHash, type Consumer, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, encodeCommand, type BaseCommand } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker, until } from './fake-broker.ts';

const ns = 'persistent://public/default';
const a = `${ns}/w-a`;
const b1 = `${ns}/w-b`;
const other = `${ns}/other`;

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

interface Setup {
  b: FakeBroker;
  clock: FakeClock;
  c: Consumer;
  /** The namespace's topics as the fake broker lists them. */
  topics: string[];
}

/** A regex consumer on a fake broker that does (or does not) announce topic list watchers. */
async function setup(supportsWatchers: boolean, topics: string[] = [a, b1, other]): Promise<Setup> {
  const b = await FakeBroker.start();
  const matching = (): string[] => topics.filter((t) => t.startsWith(`${ns}/w-`));
  b.handler = (f, reply, s) => {
    const c = f.command;
    switch (c.type) {
      case CommandType.CONNECT:
        reply({
          type: CommandType.CONNECTED,
          connected: { server_version: 'fake', protocol_version: 21, feature_flags: { supports_topic_watchers: supportsWatchers } },
        });
        return;
      case CommandType.GET_TOPICS_OF_NAMESPACE:
        reply({
          type: CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE,
          getTopicsOfNamespaceResponse: { request_id: c.getTopicsOfNamespace!.request_id, topics: [...topics] },
        });
        return;
      case CommandType.WATCH_TOPIC_LIST: {
        const w = c.watchTopicList!;
        const hash = topicsHash(matching());
        // Like the broker: the list only when the client's hash differs.
        const topic = w.topics_hash === hash ? [] : matching();
        reply({
          type: CommandType.WATCH_TOPIC_LIST_SUCCESS,
          watchTopicListSuccess: { request_id: w.request_id, watcher_id: w.watcher_id, topic, topics_hash: hash },
        });
        return;
      }
      case CommandType.WATCH_TOPIC_LIST_CLOSE: {
        const w = c.watchTopicListClose!;
        reply({
          type: CommandType.WATCH_TOPIC_LIST_SUCCESS,
          watchTopicListSuccess: { request_id: w.request_id, watcher_id: w.watcher_id },
        });
        return;
      }
    }
    defaultHandler(f, reply, s);
  };
  broker = b;
  const clock = new FakeClock();
  client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock });
  const c = await client.subscribe({ topicsPattern: 'public/default/w-.*', subscription: 'sub', patternAutoDiscoveryPeriodMs: 600_000 });
  return { b, clock, c, topics };
}

function update(b: FakeBroker, cmd: NonNullable<BaseCommand['watchTopicUpdate']>): void {
  b.sockets[0]!.write(encodeCommand({ type: CommandType.WATCH_TOPIC_UPDATE, watchTopicUpdate: cmd }));
}

function subscribedTopics(b: FakeBroker): string[] {
  return b.of(CommandType.SUBSCRIBE).map((f) => f.command.subscribe!.topic);
}

describe('topicsHash', () => {
  it('is the CRC32C of the sorted names joined by commas, printed little-endian as the Java broker does', () => {
    expect(topicsHash([])).toBe('00000000');
    // CRC32C("123456789") = 0xE3069283
    expect(topicsHash(['123456789'])).toBe('839206e3');
    expect(topicsHash(['b', 'a'])).toBe(topicsHash(['a', 'b']));
  });
});

describe('regex consumer with a topic list watcher (PIP-145)', () => {
  it('creates a watcher with the pattern, namespace and the hash of the listed topics', async () => {
    const { b, c } = await setup(true);
    expect(c.topics.sort()).toEqual([a, b1]);
    const [watch] = await b.waitFor(CommandType.WATCH_TOPIC_LIST);
    const w = watch!.command.watchTopicList!;
    expect(w.namespace).toBe('public/default');
    expect(w.topics_pattern).toBe('persistent://public/default/w-.*');
    expect(w.topics_hash).toBe(topicsHash([a, b1]));
  });

  it('subscribes a topic the broker announces, without re-listing or advancing the clock', async () => {
    const { b, c } = await setup(true);
    await b.waitFor(CommandType.WATCH_TOPIC_LIST);
    const created = `${ns}/w-new`;
    update(b, {
      watcher_id: b.of(CommandType.WATCH_TOPIC_LIST)[0]!.command.watchTopicList!.watcher_id,
      new_topics: [created],
      topics_hash: topicsHash([a, b1, created]),
    });
    await until(() => c.topics.includes(created), 'new topic subscribed');
    expect(subscribedTopics(b)).toContain(created);
    expect(b.of(CommandType.GET_TOPICS_OF_NAMESPACE)).toHaveLength(1);
  });

  it('closes the consumer of a topic the broker reports deleted', async () => {
    const { b, c } = await setup(true);
    const watcherId = (await b.waitFor(CommandType.WATCH_TOPIC_LIST))[0]!.command.watchTopicList!.watcher_id;
    const consumerOfA = b.of(CommandType.SUBSCRIBE).find((f) => f.command.subscribe!.topic === a)!.command.subscribe!.consumer_id;
    update(b, { watcher_id: watcherId, deleted_topics: [a], topics_hash: topicsHash([b1]) });
    await until(() => !c.topics.includes(a), 'deleted topic dropped');
    expect(c.topics).toEqual([b1]);
    const closes = await b.waitFor(CommandType.CLOSE_CONSUMER);
    expect(closes.map((f) => f.command.close_consumer!.consumer_id)).toContain(consumerOfA);
  });

  it('re-lists at once when the broker hash shows a missed update', async () => {
    const { b, c, topics } = await setup(true);
    const watcherId = (await b.waitFor(CommandType.WATCH_TOPIC_LIST))[0]!.command.watchTopicList!.watcher_id;
    const missed = `${ns}/w-missed`;
    const announced = `${ns}/w-announced`;
    topics.push(missed, announced);
    update(b, { watcher_id: watcherId, new_topics: [announced], topics_hash: topicsHash([a, b1, missed, announced]) });
    await until(() => c.topics.includes(missed) && c.topics.includes(announced), 'missed topic found by the re-list');
    expect(b.of(CommandType.GET_TOPICS_OF_NAMESPACE)).toHaveLength(2);
  });

  it('re-creates the watcher after a reconnect and picks up topics created meanwhile via the hash', async () => {
    const { b, c, clock, topics } = await setup(true);
    await b.waitFor(CommandType.WATCH_TOPIC_LIST);
    const whileDown = `${ns}/w-while-down`;
    topics.push(whileDown);
    b.sockets[0]!.destroy();
    for (let i = 0; i < 50 && b.of(CommandType.WATCH_TOPIC_LIST).length < 2; i++) {
      await clock.advance(200);
      await new Promise((r) => setImmediate(r));
    }
    const watches = b.of(CommandType.WATCH_TOPIC_LIST);
    expect(watches).toHaveLength(2);
    expect(watches[1]!.command.watchTopicList!.topics_hash).toBe(topicsHash([a, b1]));
    await until(() => c.topics.includes(whileDown), 'topic created while disconnected');
    expect(b.of(CommandType.GET_TOPICS_OF_NAMESPACE)).toHaveLength(1);
  });

  it('closes the watcher with the consumer', async () => {
    const { b, c } = await setup(true);
    const watcherId = (await b.waitFor(CommandType.WATCH_TOPIC_LIST))[0]!.command.watchTopicList!.watcher_id;
    await c.close();
    const [close] = await b.waitFor(CommandType.WATCH_TOPIC_LIST_CLOSE);
    expect(close!.command.watchTopicListClose!.watcher_id).toBe(watcherId);
  });
});

describe('regex consumer on a broker without topic list watchers', () => {
  it('sends no WATCH_TOPIC_LIST and finds new topics by re-listing every period', async () => {
    const { b, c, clock, topics } = await setup(false);
    const created = `${ns}/w-later`;
    topics.push(created);
    await clock.advance(599_999);
    expect(c.topics).not.toContain(created);
    await clock.advance(1);
    await until(() => c.topics.includes(created), 'new topic found by re-listing');
    expect(b.of(CommandType.WATCH_TOPIC_LIST)).toHaveLength(0);
    expect(b.of(CommandType.GET_TOPICS_OF_NAMESPACE)).toHaveLength(2);
  });

  it('falls back to re-listing when the broker refuses the watcher (pattern evaluation disabled)', async () => {
    const bk = await FakeBroker.start();
    bk.handler = (f, reply, s) => {
      const c = f.command;
      if (c.type === CommandType.CONNECT) {
        reply({
          type: CommandType.CONNECTED,
          connected: { server_version: 'fake', protocol_version: 21, feature_flags: { supports_topic_watchers: true } },
        });
      } else if (c.type === CommandType.GET_TOPICS_OF_NAMESPACE) {
        reply({
          type: CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE,
          getTopicsOfNamespaceResponse: { request_id: c.getTopicsOfNamespace!.request_id, topics: [a] },
        });
      } else if (c.type === CommandType.WATCH_TOPIC_LIST) {
        reply({
          type: CommandType.ERROR,
          error: { request_id: c.watchTopicList!.request_id, error: 22, message: 'Evaluating subscription patterns is disabled.' },
        });
      } else defaultHandler(f, reply, s);
    };
    broker = bk;
    const clock = new FakeClock();
    client = createClient({ serviceUrl: bk.url, keepAliveIntervalMs: 0 }, { clock });
    const c = await client.subscribe({ topicsPattern: 'public/default/w-.*', subscription: 'sub', patternAutoDiscoveryPeriodMs: 1000 });
    expect(c.topics).toEqual([a]);
    await clock.advance(1000);
    await until(() => bk.of(CommandType.GET_TOPICS_OF_NAMESPACE).length === 2, 're-list');
    expect(bk.of(CommandType.WATCH_TOPIC_LIST)).toHaveLength(1);
  });
});

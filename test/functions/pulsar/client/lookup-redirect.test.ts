/**
 * A lookup redirected to another broker that then answers Connect with proxy_through_service_url
 * (what a standalone broker on loopback always sends): the client must reach the owner through
 * the broker that answered, not through the original service url, which does not own the topic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { createClient, type PulsarClient } from '../../../../functions/pulsar/client/index.ts';
import { CommandType, LookupResponseType } from '../../../../functions/pulsar/wire/index.ts';
import { defaultHandler, FakeBroker } from './fake-broker.ts';

const brokers: FakeBroker[] = [];
let client: PulsarClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  for (const b of brokers.splice(0)) await b.close();
});

describe('lookup redirect followed by a proxied Connect', () => {
  it('connects the producer to the redirect target, not back to the service url', async () => {
    const service = await FakeBroker.start();
    const owner = await FakeBroker.start();
    brokers.push(service, owner);
    service.handler = (f, reply, s) => {
      const lk = f.command.lookupTopic;
      if (f.command.type === CommandType.LOOKUP && lk !== undefined) {
        reply({
          type: CommandType.LOOKUP_RESPONSE,
          lookupTopicResponse: {
            request_id: lk.request_id,
            response: LookupResponseType.Redirect,
            brokerServiceUrl: owner.url,
            authoritative: true,
            proxy_through_service_url: false,
          },
        });
      } else defaultHandler(f, reply, s);
    };
    owner.handler = (f, reply, s) => {
      const c = f.command;
      if (c.type === CommandType.LOOKUP && c.lookupTopic !== undefined) {
        reply({
          type: CommandType.LOOKUP_RESPONSE,
          lookupTopicResponse: {
            request_id: c.lookupTopic.request_id,
            response: LookupResponseType.Connect,
            brokerServiceUrl: owner.url,
            authoritative: true,
            proxy_through_service_url: true,
          },
        });
      } else if (c.type === CommandType.PRODUCER) {
        reply({ type: CommandType.PRODUCER_SUCCESS, producer_success: { request_id: c.producer?.request_id ?? 0, producer_name: 'p' } });
      } else defaultHandler(f, reply, s);
    };
    client = createClient({ serviceUrl: service.url, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });

    const producer = await client.createProducer({ topic: 'persistent://public/default/moved' });

    expect(service.of(CommandType.PRODUCER)).toHaveLength(0);
    expect(owner.of(CommandType.PRODUCER)).toHaveLength(1);
    expect(owner.of(CommandType.LOOKUP).map((f) => f.command.lookupTopic?.authoritative)).toEqual([true]);
    // One direct connection to the owner, no proxied one through the service broker.
    expect(service.of(CommandType.CONNECT).map((f) => f.command.connect?.proxy_to_broker_url)).toEqual([undefined]);
    expect(owner.of(CommandType.CONNECT)).toHaveLength(1);
    expect(producer.partitionProducers[0]?.connection?.logicalUrl).toBe(owner.url);
    await producer.close();
  });
});

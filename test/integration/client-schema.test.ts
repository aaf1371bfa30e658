/**
 * Schemas on the binary protocol against the real broker: a Java producer writes Avro v1 then an
 * evolved v2 (new field with a default) to one topic; Beamline's consumer declares v2 in
 * SUBSCRIBE and decodes every message with its writer's version (fetched by GET_SCHEMA); our
 * producer stamps the registered schema_version; an incompatible schema is refused with a typed
 * error naming the topic and the compatibility strategy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BeamlineError } from '../../functions/errors.ts';
import { avroSchema, SchemaRegistry, schemaVersionNumber } from '@beamline/pulsar';
import { ensureJavaPeer, runJavaPeer } from '../support/java-peer.ts';
import { cleanupTopics, env, newClient, topicName } from './client-support.ts';
import { receiveN } from '../support/receive.ts';

const USER_V1 =
  '{"type":"record","name":"User","namespace":"beamline.test","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"}]}';
const USER_V2 =
  '{"type":"record","name":"User","namespace":"beamline.test","fields":[{"name":"id","type":"int"},{"name":"name","type":"string"},{"name":"tier","type":"string","default":"basic"}]}';
/** `id` turned from int into string: incompatible under every strategy but ALWAYS_COMPATIBLE. */
const USER_BAD =
  '{"type":"record","name":"User","namespace":"beamline.test","fields":[{"name":"id","type":"string"},{"name":"name","type":"string"}]}';

interface User {
  id: number;
  name: string;
  tier: string;
}

const client = newClient();
beforeAll(() => {
  ensureJavaPeer();
}, 600_000);
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

async function javaProduceAvro(topic: string, schemaVersion: 1 | 2, start: number, count: number): Promise<void> {
  const lines = await runJavaPeer(
    'produce-avro',
    { 'service-url': env.serviceUrl, topic, count, start, 'schema-version': schemaVersion },
    { token: env.token },
  );
  expect(lines.find((l) => l['summary'] === true)?.['sent']).toBe(count);
}

describe('schemas over the binary protocol', () => {
  it('decodes a Java producer’s Avro v1 and evolved v2 messages with each writer’s version', async () => {
    const topic = topicName('schema-evolve');
    const reader = avroSchema<User>(USER_V2);
    await javaProduceAvro(topic, 1, 0, 3);
    await javaProduceAvro(topic, 2, 3, 3);
    const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest', schema: reader });
    const msgs = await receiveN(consumer, 6, 15_000);
    const versions = msgs.map((m) => schemaVersionNumber(m.schemaVersion));
    expect(versions).toEqual([0, 0, 0, 1, 1, 1]);

    const registry = new SchemaRegistry({ fetch: client.schemaFetcher() });
    const users = await Promise.all(msgs.map((m) => registry.decode(reader, m.topic, m.schemaVersion, m.payload)));
    expect(users).toEqual([
      { id: 0, name: 'user-0', tier: 'basic' },
      { id: 1, name: 'user-1', tier: 'basic' },
      { id: 2, name: 'user-2', tier: 'basic' },
      { id: 3, name: 'user-3', tier: 'gold-3' },
      { id: 4, name: 'user-4', tier: 'gold-4' },
      { id: 5, name: 'user-5', tier: 'gold-5' },
    ]);
    // GET_SCHEMA by version returns each writer schema; without a version, the latest.
    const v1 = await client.getSchema(topic, msgs[0]!.schemaVersion);
    expect(JSON.parse(v1!.info.data.toString()).fields).toHaveLength(2);
    const latest = await client.getSchema(topic);
    expect(latest?.info.type).toBe('AVRO');
    expect(schemaVersionNumber(latest?.version)).toBe(1);
    await consumer.close();
  });

  it('stamps the registered schema_version on our producer’s messages, and GET_OR_CREATE_SCHEMA agrees', async () => {
    const topic = topicName('schema-produce');
    const v1 = avroSchema<Omit<User, 'tier'>>(USER_V1);
    const producer = await client.createProducer({ topic, schema: v1 });
    const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest', schema: v1 });
    await producer.send({ payload: v1.encode({ id: 7, name: 'seven' }) });
    const [m] = await receiveN(consumer, 1, 15_000);
    expect(schemaVersionNumber(m!.schemaVersion)).toBe(0);
    const v2 = avroSchema<User>(USER_V2);
    expect(schemaVersionNumber(await client.getOrCreateSchema(topic, v2))).toBe(1);
    expect(schemaVersionNumber(await client.getOrCreateSchema(topic, v1))).toBe(0);
    expect(v1.decode(m!.payload)).toEqual({ id: 7, name: 'seven' });
    await Promise.all([producer.close(), consumer.close()]);
  });

  it('refuses an incompatible schema with a typed error naming the topic and the strategy', async () => {
    const topic = topicName('schema-bad');
    const producer = await client.createProducer({ topic, schema: avroSchema(USER_V1) });
    await producer.send({ payload: avroSchema(USER_V1).encode({ id: 1, name: 'x' }) });
    const err = await client.createProducer({ topic, schema: avroSchema(USER_BAD) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BeamlineError);
    const e = err as BeamlineError;
    expect(e.code).toBe('BL_PULSAR_INCOMPATIBLE_SCHEMA');
    expect(e.message).toContain(topic);
    expect(e.message).toMatch(/strategy (FULL|BACKWARD|FORWARD|ALWAYS_INCOMPATIBLE)/);
    expect(e.details['topic']).toBe(topic);
    await expect(client.getOrCreateSchema(topic, avroSchema(USER_BAD))).rejects.toMatchObject({ code: 'BL_PULSAR_INCOMPATIBLE_SCHEMA' });
    await producer.close();
  });
});

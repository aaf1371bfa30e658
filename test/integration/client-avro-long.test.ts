/**
 * Avro `long` at the 64-bit limits against the official Java client (issue #16): values beyond
 * ±(2^53-1) written by Java decode exactly in Beamline (consumer schema, writer-version decode and
 * the worker's AUTO_CONSUME path), and Beamline writes them back exactly for a Java reader. A
 * decoded record also survives Beamline's JSON (outputs, state, dead letters) without rounding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../../functions/json.ts';
import { avroSchema, SchemaRegistry } from '@beamline/pulsar';
import { jsonSerde } from '../../functions/state/index.ts';
import { ensureJavaPeer, javaConsumeAvroLong, javaProduceAvroLong } from '../support/java-peer.ts';
import { receiveN } from '../support/receive.ts';
import { cleanupTopics, env, newClient, topicName } from './client-support.ts';

const BIG =
  '{"type":"record","name":"Big","namespace":"beamline.test","fields":[{"name":"n","type":"long"},{"name":"label","type":"string"}]}';
const LIMITS = [2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];
/** A safe value stays a number in the default ('auto') mode. */
const VALUES = [...LIMITS, 42n];

interface Big {
  n: number | bigint;
  label: string;
}

const client = newClient();
beforeAll(() => {
  ensureJavaPeer();
}, 600_000);
afterAll(async () => {
  await client.close();
  await cleanupTopics();
});

describe('Avro long at the 64-bit limits with the Java client', () => {
  it('decodes the Java client’s 2^53+1, 2^63-1 and -2^63 exactly, on every decode path', async () => {
    const topic = topicName('avro-long-java-to-ts');
    await javaProduceAvroLong({ serviceUrl: env.serviceUrl, token: env.token, topic, values: VALUES });
    const reader = avroSchema<Big>(BIG);
    const consumer = await client.subscribe({ topic, subscription: 's', initialPosition: 'Earliest', schema: reader });
    const msgs = await receiveN(consumer, VALUES.length, 20_000);
    await consumer.close();
    const expected = [...LIMITS, 42].map((n) => ({ n, label: `v${n}` }));

    const registry = new SchemaRegistry({ fetch: client.schemaFetcher() });
    expect(await Promise.all(msgs.map((m) => registry.decode(reader, m.topic, m.schemaVersion, m.payload)))).toEqual(expected);
    // The worker's ingress: each message decoded with the schema it was written with.
    const auto = await Promise.all(msgs.map((m) => registry.decodeAuto(m.topic, m.schemaVersion, m.payload)));
    expect(auto).toEqual(expected);
    // 'bigint' mode: one type for every long.
    const asBigint = avroSchema<Big>(BIG, { longs: 'bigint' });
    expect(msgs.map((m) => asBigint.decode(m.payload).n)).toEqual(VALUES);

    // Outputs and state: exact JSON numbers, read back exactly.
    const text = stringifyJson(auto[1]);
    expect(text).toBe(`{"n":9223372036854775807,"label":"v9223372036854775807"}`);
    expect(parseJson(text ?? '')).toEqual(expected[1]);
    const serde = jsonSerde<unknown>();
    expect(serde.deserialize(serde.serialize(auto))).toEqual(expected);
  }, 120_000);

  it('writes 2^53+1, 2^63-1 and -2^63 that the Java client reads back exactly', async () => {
    const topic = topicName('avro-long-ts-to-java');
    const schema = avroSchema<Big>(BIG);
    const producer = await client.createProducer({ topic, schema, batching: false });
    for (const n of VALUES) await producer.send({ payload: schema.encode({ n, label: `v${n}` }) });
    await producer.close();
    const got = await javaConsumeAvroLong({ serviceUrl: env.serviceUrl, token: env.token, topic, count: VALUES.length });
    expect(got).toEqual(VALUES.map((n) => ({ n, label: `v${n}` })));
  }, 120_000);
});

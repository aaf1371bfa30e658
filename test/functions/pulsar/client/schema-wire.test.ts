import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../../functions/clock.ts';
import { BeamlineError } from '../../../../functions/errors.ts';
import {
  createClient,
  fromSchemaData,
  incompatibleSchemaError,
  toSchemaData,
  type PulsarClient,
} from '../../../../functions/pulsar/client/index.ts';
import { avroSchema, bytesSchema, schemaVersionBytes, stringSchema } from '../../../../functions/pulsar/schema/index.ts';
import { CommandType, ServerError, serverError } from '../../../../functions/pulsar/wire/index.ts';
import { closeAfterEach, defaultHandler, FakeBroker } from './fake-broker.ts';

const DEF = '{"type":"record","name":"U","fields":[{"name":"id","type":"int"}]}';

let broker: FakeBroker | undefined;
let client: PulsarClient | undefined;
closeAfterEach(
  () => [client, broker],
  () => (client = broker = undefined),
);

async function setup(): Promise<{ b: FakeBroker; c: PulsarClient }> {
  const b = await FakeBroker.start();
  b.handler = (f, reply, s) => {
    const c = f.command;
    if (c.type === CommandType.PRODUCER) {
      reply({
        type: CommandType.PRODUCER_SUCCESS,
        producer_success: { request_id: c.producer!.request_id, producer_name: 'p', schema_version: schemaVersionBytes(3) },
      });
      return;
    }
    if (c.type === CommandType.SEND) {
      reply({
        type: CommandType.SEND_RECEIPT,
        send_receipt: { producer_id: c.send!.producer_id, sequence_id: c.send!.sequence_id, message_id: { ledgerId: 1n, entryId: 1n } },
      });
      return;
    }
    if (c.type === CommandType.GET_SCHEMA) {
      const g = c.getSchema!;
      if (g.schema_version?.equals(schemaVersionBytes(9))) {
        reply({
          type: CommandType.GET_SCHEMA_RESPONSE,
          getSchemaResponse: { request_id: g.request_id, error_code: ServerError['TopicNotFound'], error_message: 'no schema' },
        });
        return;
      }
      reply({
        type: CommandType.GET_SCHEMA_RESPONSE,
        getSchemaResponse: {
          request_id: g.request_id,
          schema: { name: 'U', type: 4, schema_data: Buffer.from(DEF) },
          schema_version: g.schema_version ?? schemaVersionBytes(2),
        },
      });
      return;
    }
    defaultHandler(f, reply, s);
  };
  broker = b;
  client = createClient({ serviceUrl: b.url, keepAliveIntervalMs: 0 }, { clock: new FakeClock() });
  return { b, c: client };
}

describe('schema on the wire', () => {
  it('maps SchemaInfo to the wire Schema and back; plain bytes send none', () => {
    const avro = avroSchema(DEF);
    const d = toSchemaData(avro.info)!;
    expect(d.type).toBe(4);
    expect(d.schema_data.toString()).toBe(DEF);
    expect(d.properties).toContainEqual({ key: '__alwaysAllowNull', value: 'true' });
    expect(fromSchemaData(d)).toEqual({ ...avro.info, properties: { ...avro.info.properties } });
    expect(toSchemaData(stringSchema.info)?.type).toBe(1);
    expect(toSchemaData(bytesSchema.info)).toBeUndefined();
  });

  it('declares the schema in PRODUCER and SUBSCRIBE and stamps the registered schema_version on messages', async () => {
    const { b, c } = await setup();
    const schema = avroSchema<{ id: number }>(DEF);
    const p = await c.createProducer({ topic: 'persistent://public/default/t', schema, batching: false });
    await c.subscribe({ topic: 'persistent://public/default/t', subscription: 's', schema });
    expect(b.of(CommandType.PRODUCER)[0]!.command.producer!.schema?.schema_data.toString()).toBe(DEF);
    expect(b.of(CommandType.SUBSCRIBE)[0]!.command.subscribe!.schema?.type).toBe(4);
    await p.send({ payload: schema.encode({ id: 1 }) });
    expect(b.of(CommandType.SEND)[0]!.payload!.metadata.schema_version).toEqual(schemaVersionBytes(3));
  });

  it('fetches writer schemas by version with GET_SCHEMA; a missing one is undefined', async () => {
    const { b, c } = await setup();
    const fetch = c.schemaFetcher();
    const info = await fetch('persistent://public/default/t', schemaVersionBytes(1));
    expect(info?.type).toBe('AVRO');
    expect(b.of(CommandType.GET_SCHEMA)[0]!.command.getSchema!.schema_version).toEqual(schemaVersionBytes(1));
    expect(await fetch('persistent://public/default/t', schemaVersionBytes(9))).toBeUndefined();
    expect((await c.getSchema('t'))?.version).toEqual(schemaVersionBytes(2));
  });

  it('turns IncompatibleSchema into an error naming the topic and the strategy', () => {
    const raw = serverError(
      ServerError['IncompatibleSchema'],
      'org.apache.avro.SchemaValidationException: Unable to read schema ... with strategy BACKWARD_TRANSITIVE',
    );
    const e = incompatibleSchemaError(raw, 'persistent://t/n/x', avroSchema(DEF).info) as BeamlineError;
    expect(e.code).toBe('BL_PULSAR_INCOMPATIBLE_SCHEMA');
    expect(e.message).toContain('persistent://t/n/x');
    expect(e.details['strategy']).toBe('BACKWARD_TRANSITIVE');
    const other = new BeamlineError('BL_PULSAR_TIMEOUT', 'x');
    expect(incompatibleSchemaError(other, 't', undefined)).toBe(other);
  });
});

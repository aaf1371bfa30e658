import { describe, expect, it } from 'vitest';
import { avroSchema } from '../../../../functions/pulsar/schema/index.ts';
import {
  nativeClientConfig,
  nativeConsumerConfig,
  nativeProducerConfig,
  nativeReaderConfig,
  type NativeModule,
} from '../../../../functions/pulsar/native/index.ts';

class Token {
  readonly params: unknown;
  constructor(params: unknown) {
    this.params = params;
  }
}
const mod = { Client: class {}, MessageId: {}, AuthenticationToken: Token } as unknown as NativeModule;

describe('native option translation', () => {
  it('maps client options to the addon keys and units', () => {
    const cfg = nativeClientConfig(
      {
        serviceUrl: 'pulsar+ssl://b:6651',
        token: 't',
        operationTimeoutMs: 1500,
        connectTimeoutMs: 700,
        tls: { verifyHostname: true, rejectUnauthorized: false },
      },
      mod,
      {
        tlsTrustCertsFilePath: '/tmp/ca.pem',
      },
    );
    expect(cfg).toMatchObject({
      serviceUrl: 'pulsar+ssl://b:6651',
      operationTimeoutSeconds: 2,
      connectionTimeoutMs: 700,
      tlsTrustCertsFilePath: '/tmp/ca.pem',
      tlsValidateHostname: true,
      tlsAllowInsecureConnection: true,
    });
    expect((cfg.authentication as Token).params).toEqual({ token: 't' });
  });

  it('refuses client options the addon cannot honour, naming them', () => {
    expect(() => nativeClientConfig({ serviceUrl: 'pulsar://b:6650', maxBackoffMs: 5 }, mod, {})).toThrow(
      expect.objectContaining({ code: 'BL_PULSAR_UNSUPPORTED_FEATURE', message: expect.stringContaining('client.maxBackoffMs') }),
    );
    expect(() => nativeClientConfig({ serviceUrl: 'pulsar+ssl://b:6651', tls: { cert: 'x', key: 'y' } }, mod, {})).toThrow(
      expect.objectContaining({ code: 'BL_PULSAR_UNSUPPORTED_FEATURE', message: expect.stringContaining('tls.cert') }),
    );
  });

  it('maps producer enums and keeps our blocking send when the queue is full', () => {
    const cfg = nativeProducerConfig({
      topic: 't',
      name: 'p1',
      compression: 'zstd',
      batchingType: 'key-based',
      routingMode: 'Single',
      hashingScheme: 'murmur3',
      accessMode: 'ExclusiveWithFencing',
      chunking: true,
      batching: false,
      initialSequenceId: 7,
      schema: avroSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }),
    });
    expect(cfg).toMatchObject({
      topic: 't',
      producerName: 'p1',
      compressionType: 'ZSTD',
      batchingType: 'KeyBasedBatching',
      messageRoutingMode: 'UseSinglePartition',
      hashingScheme: 'Murmur3_32Hash',
      accessMode: 'ExclusiveWithFencing',
      chunkingEnabled: true,
      batchingEnabled: false,
      initialSequenceId: 7,
      blockIfQueueFull: true,
    });
    expect(cfg.schema).toMatchObject({ schemaType: 'Avro', schema: expect.stringContaining('"name":"R"') });
    expect(nativeProducerConfig({ topic: 't' })).toMatchObject({
      compressionType: 'None',
      hashingScheme: 'JavaStringHash',
      messageRoutingMode: 'RoundRobinDistribution',
    });
  });

  it('maps consumer options, including Key_Shared and the dead-letter policy', () => {
    const { config: cfg, compiled } = nativeConsumerConfig({
      topic: 'persistent://t/n/a',
      subscription: 's',
      subscriptionType: 'Key_Shared',
      initialPosition: 'Earliest',
      negativeAckRedeliveryDelayMs: 250,
      ackTimeoutMs: 30_000,
      deadLetterPolicy: { maxRedeliverCount: 3, deadLetterTopic: 'dlq' },
    });
    expect(cfg).toMatchObject({
      topic: 'persistent://t/n/a',
      subscription: 's',
      subscriptionType: 'KeyShared',
      subscriptionInitialPosition: 'Earliest',
      nAckRedeliverTimeoutMs: 250,
      ackTimeoutMs: 30_000,
      deadLetterPolicy: { maxRedeliverCount: 3, deadLetterTopic: 'dlq' },
      batchIndexAckEnabled: true,
    });
    expect(compiled.subscriptionType).toBe('Key_Shared');
    expect(nativeConsumerConfig({ topics: ['a', 'b'], subscription: 's' }).config).toMatchObject({ topics: ['a', 'b'] });
    expect(nativeConsumerConfig({ topicsPattern: 'public/default/x-.*', subscription: 's' }).config).toMatchObject({
      topicsPattern: 'public/default/x-.*',
    });
    expect(
      nativeConsumerConfig({ topic: 'a', subscription: 's', deadLetterPolicy: { maxRedeliverCount: 2 } }).config.deadLetterPolicy,
    ).toEqual({ maxRedeliverCount: 2 });
  });

  it('refuses an ack timeout the C++ client would reject, with the field and the fix', () => {
    expect(() => nativeConsumerConfig({ topic: 'a', subscription: 's', ackTimeoutMs: 5000 })).toThrow(
      expect.objectContaining({ code: 'BL_CONFIG_INVALID', message: expect.stringMatching(/ackTimeoutMs.*5000.*10000/) }),
    );
    expect(() => nativeConsumerConfig({ topic: 'a', subscription: 's', startPaused: true })).toThrow(/startPaused/);
    expect(() => nativeConsumerConfig({ topic: 'a', subscription: 's', priorityLevel: 1 })).toThrow(
      expect.objectContaining({ code: 'BL_PULSAR_UNSUPPORTED_FEATURE' }),
    );
    expect(() => nativeProducerConfig({ topic: 'a', partitionsAutoUpdateIntervalMs: 1000 })).toThrow(
      expect.objectContaining({
        code: 'BL_PULSAR_UNSUPPORTED_FEATURE',
        message: expect.stringContaining('producer.partitionsAutoUpdateIntervalMs'),
      }),
    );
  });

  it('refuses reader options the addon lacks', () => {
    expect(() => nativeReaderConfig({ topic: 'a', startMessageIdInclusive: true })).toThrow(
      expect.objectContaining({ code: 'BL_PULSAR_UNSUPPORTED_FEATURE', message: expect.stringContaining('startMessageIdInclusive') }),
    );
    const { config, start } = nativeReaderConfig({ topic: 'a', startMessageId: 'earliest', readCompacted: true });
    expect(config).toEqual({ topic: 'a', receiverQueueSize: 1000, readCompacted: true });
    expect(start.startMessageId?.ledgerId).toBe(-1n);
  });

  it('still validates with the shared compile step (same errors as the wire client)', () => {
    expect(() => nativeProducerConfig({ topic: 't', compression: 'brotli' as never })).toThrow(
      expect.objectContaining({ code: 'BL_CONFIG_INVALID', field: 'compression' }),
    );
  });
});

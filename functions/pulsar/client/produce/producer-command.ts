/** The PRODUCER command of one partition producer: name, epochs, access mode, metadata, schema. */
import { CommandType, ProducerAccessMode, type BaseCommand } from '../../wire/index.ts';
import { propertiesToList } from '../../api/index.ts';
import type { ProducerConfig } from '../../api/index.ts';
import { toSchemaData } from '../schema-wire.ts';

export interface ProducerTarget {
  readonly topic: string;
  readonly producerId: number;
  readonly requestId: number;
  /** Bumped on every reconnect so the broker can tell a stale PRODUCER from the current one. */
  readonly epoch: number;
  /** The configured name, or the one the broker assigned on the first connect. */
  readonly name: string | undefined;
  readonly topicEpoch: number | undefined;
}

export function producerCommand(cfg: ProducerConfig, t: ProducerTarget): BaseCommand {
  const producer: NonNullable<BaseCommand['producer']> = {
    topic: t.topic,
    producer_id: t.producerId,
    request_id: t.requestId,
    epoch: t.epoch,
    user_provided_producer_name: cfg.name !== undefined,
    producer_access_mode: ProducerAccessMode[cfg.accessMode],
  };
  if (t.name !== undefined) producer.producer_name = t.name;
  if (t.topicEpoch !== undefined) producer.topic_epoch = t.topicEpoch;
  const md = propertiesToList(cfg.properties);
  if (md !== undefined) producer.metadata = md;
  const schema = toSchemaData(cfg.schema);
  if (schema !== undefined) producer.schema = schema;
  return { type: CommandType.PRODUCER, producer };
}

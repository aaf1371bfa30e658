/** The SUBSCRIBE command of one TopicConsumer: type, initial position, reader start, schema. */
import { CommandType, InitialPosition, KeySharedMode, MessageId, SubType, type BaseCommand } from '../../wire/index.ts';
import type { ConsumerConfig } from '../../api/index.ts';
import { toSchemaData } from '../schema-wire.ts';

export interface SubscribeTarget {
  readonly topic: string;
  readonly consumerId: number;
  readonly requestId: number;
  /** Non-durable (reader) start: where to resume, and whether that id itself is included. */
  readonly start: MessageId | undefined;
  readonly startInclusive: boolean;
  /** Non-durable start: the broker rewinds the new cursor this many seconds (0: none). */
  readonly rollbackSec?: number;
  /** The consumer epoch (Exclusive/Failover only), kept across reconnects. */
  readonly epoch?: number | undefined;
}

export function subscribeCommand(cfg: ConsumerConfig, t: SubscribeTarget): BaseCommand {
  const sub: NonNullable<BaseCommand['subscribe']> = {
    topic: t.topic,
    subscription: cfg.subscription,
    subType: SubType[cfg.subscriptionType],
    consumer_id: t.consumerId,
    request_id: t.requestId,
    consumer_name: cfg.consumerName,
    durable: cfg.durable,
    read_compacted: cfg.readCompacted,
    initialPosition: InitialPosition[cfg.initialPosition],
    force_topic_creation: true,
  };
  if (cfg.priorityLevel > 0) sub.priority_level = cfg.priorityLevel;
  if (t.epoch !== undefined) sub.consumer_epoch = t.epoch;
  if (cfg.replicateSubscriptionState) sub.replicate_subscription_state = true;
  if (cfg.subscriptionType === 'Key_Shared') sub.keySharedMeta = { keySharedMode: KeySharedMode.AUTO_SPLIT };
  const schema = toSchemaData(cfg.schema);
  if (schema !== undefined) sub.schema = schema;
  const start = t.start;
  if (!cfg.durable && start !== undefined) {
    let d = start.toData();
    delete d.partition;
    delete d.first_chunk_message_id;
    if (t.startInclusive && start.batchIndex < 0 && start !== MessageId.earliest && start !== MessageId.latest) {
      // The broker starts after the id it is given: step back one entry to include it. A chunked
      // message is included from its first chunk, or the reader would start mid-message.
      const from = start.startPosition;
      d = { ledgerId: BigInt.asUintN(64, from.ledgerId), entryId: BigInt.asUintN(64, from.entryId - 1n) };
    }
    sub.start_message_id = d;
  }
  if (!cfg.durable && t.rollbackSec !== undefined && t.rollbackSec > 0) sub.start_message_rollback_duration_sec = t.rollbackSec;
  return { type: CommandType.SUBSCRIBE, subscribe: sub };
}

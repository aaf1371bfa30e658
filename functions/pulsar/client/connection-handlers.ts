/** What producers, consumers and topic list watchers register on a Connection to receive their commands. */
import type { BaseCommand, DecodedPayload } from '../wire/index.ts';
import type { Connection } from './connection.ts';

export interface ProducerHandler {
  onSendReceipt(cmd: NonNullable<BaseCommand['send_receipt']>): void;
  onSendError(cmd: NonNullable<BaseCommand['send_error']>): void;
  onBrokerClose(): void;
  onConnectionClosed(conn: Connection): void;
}

export interface ConsumerHandler {
  onMessage(cmd: NonNullable<BaseCommand['message']>, payload: DecodedPayload): void;
  onBrokerClose(): void;
  onConnectionClosed(conn: Connection): void;
  onActiveConsumerChange?(active: boolean): void;
  onReachedEndOfTopic?(): void;
}

export interface TopicListWatcherHandler {
  onTopicListUpdate(cmd: NonNullable<BaseCommand['watchTopicUpdate']>): void;
  onConnectionClosed(conn: Connection): void;
}

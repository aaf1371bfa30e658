/** What producers, consumers and topic list watchers register on a Connection to receive their commands. */
import type { BaseCommand, DecodedPayload } from '../../wire/index.ts';

/**
 * The connection that closed, compared by identity with the one a handler holds. Typed as a plain
 * object so this file, which connection.ts imports, does not import connection.ts back.
 */
export type ClosedConnection = object;

export interface ProducerHandler {
  onSendReceipt(cmd: NonNullable<BaseCommand['send_receipt']>): void;
  onSendError(cmd: NonNullable<BaseCommand['send_error']>): void;
  onBrokerClose(): void;
  onConnectionClosed(conn: ClosedConnection): void;
}

export interface ConsumerHandler {
  onMessage(cmd: NonNullable<BaseCommand['message']>, payload: DecodedPayload): void;
  onBrokerClose(): void;
  onConnectionClosed(conn: ClosedConnection): void;
  onActiveConsumerChange?(active: boolean): void;
  onReachedEndOfTopic?(): void;
}

export interface TopicListWatcherHandler {
  onTopicListUpdate(cmd: NonNullable<BaseCommand['watchTopicUpdate']>): void;
  onConnectionClosed(conn: ClosedConnection): void;
}

/**
 * Which pending request a broker reply settles, and whether it settles it with an error. Replies
 * that report failure in-band (a failed lookup, a transaction or schema error) become the mapped
 * BeamlineError here, so callers only ever see a resolved reply or a rejection.
 */
import { CommandType, LookupResponseType, PartitionedMetadataResponseType, serverError, type BaseCommand } from '../../wire/index.ts';

export interface Reply {
  readonly requestId: number | undefined;
  readonly error: unknown;
}

/** The reply `cmd` carries, or undefined when `cmd` is not a reply to a request. */
export function replyOf(cmd: BaseCommand, broker: string): Reply | undefined {
  switch (cmd.type) {
    case CommandType.SUCCESS:
      return { requestId: cmd.success?.request_id, error: undefined };
    case CommandType.ERROR: {
      const e = cmd.error;
      return { requestId: e?.request_id, error: serverError(e?.error, e?.message, { broker }) };
    }
    case CommandType.LOOKUP_RESPONSE: {
      const r = cmd.lookupTopicResponse;
      const failed = r?.response === LookupResponseType.Failed;
      return { requestId: r?.request_id, error: failed ? serverError(r?.error, r?.message) : undefined };
    }
    case CommandType.PARTITIONED_METADATA_RESPONSE: {
      const r = cmd.partitionMetadataResponse;
      const failed = r?.response === PartitionedMetadataResponseType.Failed;
      return { requestId: r?.request_id, error: failed ? serverError(r?.error, r?.message) : undefined };
    }
    case CommandType.GET_LAST_MESSAGE_ID_RESPONSE:
      return { requestId: cmd.getLastMessageIdResponse?.request_id, error: undefined };
    case CommandType.GET_TOPICS_OF_NAMESPACE_RESPONSE:
      return { requestId: cmd.getTopicsOfNamespaceResponse?.request_id, error: undefined };
    case CommandType.WATCH_TOPIC_LIST_SUCCESS:
      return { requestId: cmd.watchTopicListSuccess?.request_id, error: undefined };
    case CommandType.ACK_RESPONSE: {
      const r = cmd.ackResponse;
      return { requestId: r?.request_id, error: r?.error !== undefined ? serverError(r.error, r.message) : undefined };
    }
    case CommandType.NEW_TXN_RESPONSE:
    case CommandType.ADD_PARTITION_TO_TXN_RESPONSE:
    case CommandType.ADD_SUBSCRIPTION_TO_TXN_RESPONSE:
    case CommandType.END_TXN_RESPONSE:
    case CommandType.TC_CLIENT_CONNECT_RESPONSE: {
      // Transaction coordinator replies share one layout (request_id, error, message).
      const r =
        cmd.newTxnResponse ??
        cmd.addPartitionToTxnResponse ??
        cmd.addSubscriptionToTxnResponse ??
        cmd.endTxnResponse ??
        cmd.tcClientConnectResponse;
      return { requestId: r?.request_id, error: r?.error !== undefined ? serverError(r.error, r.message, { broker }) : undefined };
    }
    case CommandType.GET_SCHEMA_RESPONSE:
    case CommandType.GET_OR_CREATE_SCHEMA_RESPONSE: {
      const r = cmd.getSchemaResponse ?? cmd.getOrCreateSchemaResponse;
      return {
        requestId: r?.request_id,
        error: r?.error_code !== undefined ? serverError(r.error_code, r.error_message, { broker }) : undefined,
      };
    }
    default:
      return undefined;
  }
}

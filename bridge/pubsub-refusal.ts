/** What Pub/Sub would refuse of a publish, checked before sending (the sink dead-letters it). */

/** Pub/Sub's documented publish limits. */
const PUBSUB_LIMITS = Object.freeze({ attributes: 100, keyBytes: 256, valueBytes: 1024, dataBytes: 10_000_000, orderingKeyBytes: 1024 });
export const GRPC_INVALID_ARGUMENT = 3;

export function grpcCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/** Why Pub/Sub would refuse this publish, checked before sending; undefined when it fits. */
export function pubsubRefusal(
  data: Buffer,
  attributes: Readonly<Record<string, string>>,
  orderingKey: string | undefined,
): string | undefined {
  const entries = Object.entries(attributes);
  if (entries.length > PUBSUB_LIMITS.attributes)
    return `${entries.length} attributes, over Pub/Sub's limit of ${PUBSUB_LIMITS.attributes}; carry fewer Pulsar properties`;
  for (const [k, v] of entries) {
    if (Buffer.byteLength(k) > PUBSUB_LIMITS.keyBytes)
      return `attribute key "${k.slice(0, 40)}..." is over Pub/Sub's ${PUBSUB_LIMITS.keyBytes} bytes; shorten the property name`;
    if (Buffer.byteLength(v) > PUBSUB_LIMITS.valueBytes)
      return `attribute "${k}" is ${Buffer.byteLength(v)} bytes, over Pub/Sub's ${PUBSUB_LIMITS.valueBytes}; move large values into the payload`;
    if (k.startsWith('goog')) return `attribute key "${k}" starts with "goog", which Pub/Sub reserves; rename the property`;
  }
  if (data.length > PUBSUB_LIMITS.dataBytes) return `data is ${data.length} bytes, over Pub/Sub's ${PUBSUB_LIMITS.dataBytes}`;
  if (orderingKey !== undefined && Buffer.byteLength(orderingKey) > PUBSUB_LIMITS.orderingKeyBytes)
    return `ordering key is over Pub/Sub's ${PUBSUB_LIMITS.orderingKeyBytes} bytes; use a shorter Pulsar key`;
  return undefined;
}

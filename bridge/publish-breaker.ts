/** The sink's publish call behind a breaker (opossum), so a Pub/Sub outage fails publishes fast. */
import type { Topic } from '@google-cloud/pubsub';
import CircuitBreaker from 'opossum';
import { BRIDGE_ERROR_CODES, BridgeError } from './errors.ts';
import type { PubsubSinkConfig } from './options.ts';
import { GRPC_INVALID_ARGUMENT, grpcCode } from './pubsub-refusal.ts';

export type PublishBreaker = CircuitBreaker<[Buffer, Record<string, string>, string | undefined], string>;

export function publishBreaker(topic: Topic, config: PubsubSinkConfig): PublishBreaker {
  const timeoutMs = config.publishTimeoutMs;
  // opossum keeps its own real timers (it cannot take our Clock); the timeout is ours.
  return new CircuitBreaker(
    async (data: Buffer, attributes: Record<string, string>, orderingKey: string | undefined) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        return await Promise.race([
          topic.publishMessage({ data, attributes, ...(orderingKey === undefined ? {} : { orderingKey }) }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new BridgeError(BRIDGE_ERROR_CODES.pubsubPublishFailed, `Pub/Sub did not accept a publish within ${timeoutMs} ms`, {
                    retriable: true,
                  }),
                ),
              timeoutMs,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    {
      timeout: false,
      errorThresholdPercentage: config.breakerErrorPercentage,
      volumeThreshold: config.breakerVolumeThreshold,
      resetTimeout: config.breakerResetMs,
      // A refused message is the message's fault, not Pub/Sub's: it must not open the breaker.
      errorFilter: (err: unknown) => grpcCode(err) === GRPC_INVALID_ARGUMENT,
    },
  );
}

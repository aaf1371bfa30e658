/** The Pub/Sub client, pointed at Google or at an emulator (pstest) by host:port. */
import { PubSub } from '@google-cloud/pubsub';

export interface OpenPubsubOptions {
  /** The Google Cloud project of the subscription or topic. */
  projectId: string;
  /** host:port of an emulator (insecure gRPC); @default process.env.PUBSUB_EMULATOR_HOST, else Google */
  emulatorHost?: string;
}

/** Credentials come from the environment (Application Default Credentials) and are never logged. */
export function openPubsub(o: OpenPubsubOptions): PubSub {
  const host = o.emulatorHost ?? process.env['PUBSUB_EMULATOR_HOST'];
  return new PubSub({ projectId: o.projectId, ...(host === undefined || host === '' ? {} : { apiEndpoint: host, emulatorMode: true }) });
}

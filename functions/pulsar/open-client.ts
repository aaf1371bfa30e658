/**
 * openClient(): a client behind the implementation-neutral PulsarClientApi. Our own
 * binary-protocol client is the default; `implementation: 'native'` wraps the user's installed
 * `pulsar-client` addon instead (see native/native-client.ts for what that gives up).
 */
import { ConfigError } from '../errors.ts';
import { createClient, type ClientDeps } from './client/index.ts';
import { type ClientImplementation, type ClientOptions, type PulsarClientApi } from './api/index.ts';
import { createNativeClient, type NativeLoadModule } from './native/index.ts';

export interface OpenClientOptions extends ClientOptions {
  /** Which client speaks to Pulsar. @default 'beamline' */
  implementation?: ClientImplementation;
}

export interface OpenClientDeps extends ClientDeps {
  /** How the native addon is loaded (tests inject a module). @default import('pulsar-client') */
  loadNativeModule?: NativeLoadModule;
}

const IMPLEMENTATIONS: readonly ClientImplementation[] = ['beamline', 'native'];

export async function openClient(options: OpenClientOptions, deps: OpenClientDeps = {}): Promise<PulsarClientApi> {
  const { implementation = 'beamline', ...clientOptions } = options;
  if (!IMPLEMENTATIONS.includes(implementation)) {
    throw new ConfigError('implementation', implementation, `use one of ${IMPLEMENTATIONS.map((i) => `'${i}'`).join(', ')}`);
  }
  if (implementation === 'native') {
    return createNativeClient(clientOptions, { loadModule: deps.loadNativeModule, logger: deps.logger });
  }
  const { loadNativeModule: _unused, ...clientDeps } = deps;
  return createClient(clientOptions, clientDeps);
}

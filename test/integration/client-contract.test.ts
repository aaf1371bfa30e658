/**
 * The client contract (test/support/client-contract.ts) against the real broker, for each
 * implementation behind PulsarClientApi:
 * - beamline: our own binary-protocol client (the default);
 * - native adapter over a stand-in: functions/pulsar/native driving test/support/native-stand-in.ts,
 *   which implements the `pulsar-client` addon's documented API over our wire client (the addon
 *   cannot be installed on these machines);
 * - native: the real addon, registered only when `pulsar-client` resolves on this machine.
 */
import { createRequire } from 'node:module';
import { afterAll } from 'vitest';
import { openClient } from '../../functions/pulsar/index.ts';
import { defineClientContract } from '../support/client-contract.ts';
import { nativeStandInModule } from '../support/native-stand-in.ts';
import { pulsarAuthEnv } from '../support/pulsar-env.ts';
import { cleanupTopics, env } from './client-support.ts';

const auth = pulsarAuthEnv();
afterAll(() => cleanupTopics());

const base = { serviceUrl: env.serviceUrl, ...(env.token ? { token: env.token } : {}), operationTimeoutMs: 15_000 };
const authBase = (token: string | undefined): { serviceUrl: string; token?: string; operationTimeoutMs: number } => ({
  serviceUrl: auth.serviceUrl,
  ...(token === undefined ? {} : { token }),
  operationTimeoutMs: 15_000,
});

defineClientContract({
  name: 'beamline',
  open: () => openClient(base),
  openAuth: (token) => openClient(authBase(token)),
  authToken: auth.token ?? '',
});

const standIn = (): Promise<unknown> => Promise.resolve(nativeStandInModule);
defineClientContract({
  name: 'native adapter over the pulsar-client stand-in',
  open: () => openClient({ ...base, implementation: 'native' }, { loadNativeModule: standIn }),
  openAuth: (token) => openClient({ ...authBase(token), implementation: 'native' }, { loadNativeModule: standIn }),
  authToken: auth.token ?? '',
});

if (nativeInstalled()) {
  defineClientContract({
    name: 'native pulsar-client addon',
    open: () => openClient({ ...base, implementation: 'native' }),
    openAuth: (token) => openClient({ ...authBase(token), implementation: 'native' }),
    authToken: auth.token ?? '',
  });
}

function nativeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('pulsar-client');
    return true;
  } catch {
    return false;
  }
}

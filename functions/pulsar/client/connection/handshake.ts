/** CONNECT (protocol version, feature flags, token) and the answer to an AUTH_CHALLENGE. */
import { CLIENT_PROTOCOL_VERSION, CommandType, type BaseCommand } from '../../wire/index.ts';
import { resolveToken, type TokenSource } from './auth.ts';

export const CLIENT_VERSION = 'beamline-ts-0.1.0';

export async function connectCommand(token: TokenSource | undefined, proxyToBrokerUrl: string | undefined): Promise<BaseCommand> {
  const connect: NonNullable<BaseCommand['connect']> = {
    client_version: CLIENT_VERSION,
    protocol_version: CLIENT_PROTOCOL_VERSION,
    feature_flags: { supports_auth_refresh: true, supports_broker_entry_metadata: true },
  };
  if (token !== undefined) {
    connect.auth_method_name = 'token';
    connect.auth_data = Buffer.from(await resolveToken(token), 'utf8');
  }
  if (proxyToBrokerUrl !== undefined) connect.proxy_to_broker_url = proxyToBrokerUrl;
  return { type: CommandType.CONNECT, connect };
}

/** AUTH_RESPONSE with a fresh token (the provider is asked again on every challenge). */
export async function authResponseCommand(token: TokenSource): Promise<BaseCommand> {
  const fresh = await resolveToken(token);
  return {
    type: CommandType.AUTH_RESPONSE,
    authResponse: {
      client_version: CLIENT_VERSION,
      protocol_version: CLIENT_PROTOCOL_VERSION,
      response: { auth_method_name: 'token', auth_data: Buffer.from(fresh, 'utf8') },
    },
  };
}

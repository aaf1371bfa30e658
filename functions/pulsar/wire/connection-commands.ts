/** Connection-level commands: handshake, auth refresh, keep-alive and the generic replies. */
import { AuthDataDef, FeatureFlagsDef, type AuthData, type CommandEntry, type FeatureFlags } from './common-messages.ts';
import { defineMessage } from './proto-message.ts';
import { CommandType } from './protocol-enums.ts';

export interface CommandConnect {
  client_version: string;
  auth_method_name?: string;
  auth_data?: Buffer;
  protocol_version?: number;
  proxy_to_broker_url?: string;
  feature_flags?: FeatureFlags;
}

export interface CommandConnected {
  server_version: string;
  protocol_version?: number;
  max_message_size?: number;
  feature_flags?: FeatureFlags;
}

export interface ConnectionCommands {
  connect?: CommandConnect;
  connected?: CommandConnected;
  success?: { request_id: number };
  error?: { request_id: number; error: number; message: string };
  ping?: Record<string, never>;
  pong?: Record<string, never>;
  authChallenge?: { server_version?: string; challenge?: AuthData; protocol_version?: number };
  authResponse?: { client_version?: string; response?: AuthData; protocol_version?: number };
}

export const connectionCommandTable: readonly CommandEntry[] = [
  [
    'connect',
    CommandType.CONNECT,
    defineMessage('CommandConnect', [
      ['client_version', 1, 'string'],
      ['auth_data', 3, 'bytes'],
      ['protocol_version', 4, 'int32'],
      ['auth_method_name', 5, 'string'],
      ['proxy_to_broker_url', 6, 'string'],
      ['feature_flags', 10, 'message', { msg: () => FeatureFlagsDef }],
    ]),
  ],
  [
    'connected',
    CommandType.CONNECTED,
    defineMessage('CommandConnected', [
      ['server_version', 1, 'string'],
      ['protocol_version', 2, 'int32'],
      ['max_message_size', 3, 'int32'],
      ['feature_flags', 4, 'message', { msg: () => FeatureFlagsDef }],
    ]),
  ],
  ['success', CommandType.SUCCESS, defineMessage('CommandSuccess', [['request_id', 1, 'u64n']])],
  [
    'error',
    CommandType.ERROR,
    defineMessage('CommandError', [
      ['request_id', 1, 'u64n'],
      ['error', 2, 'enum'],
      ['message', 3, 'string'],
    ]),
  ],
  ['ping', CommandType.PING, defineMessage('CommandPing', [])],
  ['pong', CommandType.PONG, defineMessage('CommandPong', [])],
  [
    'authChallenge',
    CommandType.AUTH_CHALLENGE,
    defineMessage('CommandAuthChallenge', [
      ['server_version', 1, 'string'],
      ['challenge', 2, 'message', { msg: () => AuthDataDef }],
      ['protocol_version', 3, 'int32'],
    ]),
  ],
  [
    'authResponse',
    CommandType.AUTH_RESPONSE,
    defineMessage('CommandAuthResponse', [
      ['client_version', 1, 'string'],
      ['response', 2, 'message', { msg: () => AuthDataDef }],
      ['protocol_version', 3, 'int32'],
    ]),
  ],
];

/**
 * Resolves a remote model's credential reference into request headers, in the process that makes
 * the calls. The credential is read once per scorer and lives only in those headers: it is never
 * logged, never put in an error, never written back to the registry.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BeamlineError } from '../../errors.ts';
import { INFERENCE_ERROR_CODES } from '../errors.ts';
import type { RemoteAuthRef } from './remote-spec.ts';

/** Where `secret` references are mounted. @default /var/run/secrets/beamline */
export function secretsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['BEAMLINE_SECRETS_DIR'] ?? '/var/run/secrets/beamline';
}

export async function resolveAuthHeaders(
  ref: RemoteAuthRef | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  if (ref === undefined) return {};
  let value: string | undefined;
  if (ref.kind === 'env') {
    value = env[ref.name];
    if (value === undefined || value === '')
      throw authError(ref, `environment variable ${ref.name} is not set`, `export ${ref.name} in the worker's environment`);
  } else {
    const path = ref.kind === 'file' ? ref.name : join(secretsDir(env), ref.name);
    try {
      value = (await readFile(path, 'utf8')).trim();
    } catch (cause) {
      throw authError(
        ref,
        `credential file ${path} cannot be read`,
        ref.kind === 'secret' ? 'mount the Secret under $BEAMLINE_SECRETS_DIR' : 'check the path and its permissions',
        cause,
      );
    }
    if (value === '') throw authError(ref, `credential file ${path} is empty`, 'put the credential in the file');
  }
  const header = ref.header ?? 'authorization';
  const scheme = ref.scheme ?? (header === 'authorization' ? 'Bearer' : '');
  return { [header]: scheme === '' ? value : `${scheme} ${value}` };
}

function authError(ref: RemoteAuthRef, message: string, fix: string, cause?: unknown): BeamlineError {
  return new BeamlineError(INFERENCE_ERROR_CODES.remoteAuth, `remote model credential: ${message}; ${fix}`, {
    details: { kind: ref.kind, name: ref.name, fix },
    ...(cause === undefined ? {} : { cause }),
  });
}

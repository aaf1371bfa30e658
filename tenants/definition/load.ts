import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../../functions/index.ts';
import { compileTenantSpec } from './compile.ts';
import type { CompileTenantSpecOptions, TenantConfig } from './types.ts';

/**
 * The largest tenant spec read, in bytes. Real specs are a few KiB; a 16 MB one took 11 s and
 * 1.3 GB to parse, so anything past this is refused before it is read.
 */
export const MAX_TENANT_SPEC_BYTES = 1024 * 1024;

/** Read, parse and compile a `tenants/<tenant>.yaml` file. */
export function loadTenantSpecFile(path: string, options: Omit<CompileTenantSpecOptions, 'baseDir'> = {}): TenantConfig {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_TENANT_SPEC_BYTES) {
      throw new ConfigError(
        'spec',
        path,
        `the file is ${size} bytes, over the ${MAX_TENANT_SPEC_BYTES}-byte limit for a tenant spec; split the tenant or remove what it does not need`,
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError('spec', path, 'pass the path of an existing tenant spec, e.g. tenants/acme-payments.yaml', { cause });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    throw new ConfigError('spec', path, `fix the YAML syntax: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`, {
      cause,
    });
  }
  return compileTenantSpec(doc, { ...options, baseDir: dirname(path) }, path);
}

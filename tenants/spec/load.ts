import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../../functions/index.ts';
import { compileTenantSpec } from './compile.ts';
import type { CompileTenantSpecOptions, TenantConfig } from './types.ts';

/** Read, parse and compile a `tenants/<tenant>.yaml` file. */
export function loadTenantSpecFile(path: string, options: Omit<CompileTenantSpecOptions, 'baseDir'> = {}): TenantConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('spec', path, 'pass the path of an existing tenant spec, e.g. tenants/acme-payments.yaml', { cause });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (cause) {
    throw new ConfigError('spec', path, `fix the YAML syntax: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`, { cause });
  }
  return compileTenantSpec(doc, { ...options, baseDir: dirname(path) }, path);
}

/**
 * Helpers shared by the governance integration tests (PII scan, GDPR erasure, review audit): the
 * CLI run in-process against the test broker, and the example tenant spec applied as a fresh
 * tenant with one region.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { env } from './worker-support.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** `beamline ARGV...` in this process, on the test broker, with `extraEnv` besides; output captured. */
export async function runCli(extraEnv: Readonly<Record<string, string>>, ...argv: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: {
      PULSAR_ADMIN_URL: env.adminUrl,
      PULSAR_SERVICE_URL: env.serviceUrl,
      BEAMLINE_LOCAL_CLUSTER: env.cluster,
      ...(env.token === undefined ? {} : { PULSAR_TOKEN: env.token }),
      ...extraEnv,
    },
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
  };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

export type SpecDoc = Record<string, unknown> & { topics: Record<string, Record<string, unknown>> };

/** tenants/acme-payments.yaml with every topic at one partition (tests change what they need). */
export function exampleSpec(): SpecDoc {
  const doc = parseYaml(readFileSync('tenants/acme-payments.yaml', 'utf8')) as SpecDoc;
  for (const t of Object.values(doc.topics)) t['partitions'] = 1;
  return doc;
}

/** `beamline tenant apply` of `doc` as `tenant`, with the one region `region` (its own cluster name). */
export async function applySpec(doc: SpecDoc, tenant: string, region: string, dir: string): Promise<CliResult> {
  const file = join(dir, `${tenant}.yaml`);
  writeFileSync(file, stringify({ ...doc, tenant, regions: [{ name: region, cluster: region }], replication: undefined }));
  return runCli({}, 'tenant', 'apply', file);
}

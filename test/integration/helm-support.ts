/**
 * Helpers for the helm-*.test.ts files: the pinned tools (built by scripts/dev/tools.sh into the
 * cache; built here when missing, so a fresh clone's `npm test` works, slowly), rendering the
 * chart, and reading the rendered documents.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';

const run = promisify(execFile);

export const CHART = 'helm/beamline';
export const CI_VALUES = 'helm/beamline/ci';
/** The Kubernetes release the manifests are rendered for and validated against (tools.sh pins the schemas). */
export const KUBE_VERSION = '1.37.2';
export const KEDA_API = 'keda.sh/v1alpha1';
export const PROMETHEUS_API = 'monitoring.coreos.com/v1';

export interface Tools {
  HELM: string;
  K8S_VALIDATE: string;
  K8S_APISERVER_VALIDATE: string;
  K8S_OPENAPI: string;
  KEDA_CRDS: string;
  KEDA_PULSAR_SCALER: string;
}

let cached: Tools | undefined;

/**
 * Runs scripts/dev/tools.sh (idempotent: instant once built; minutes on a fresh machine) and
 * keeps the tools' paths. A build failure fails the calling hook with the script's own message;
 * nothing is skipped. Asynchronous, so a long build does not block the test worker.
 */
export async function ensureHelmTools(): Promise<Tools> {
  if (cached !== undefined) return cached;
  let out: string;
  try {
    out = (await run('bash', ['scripts/dev/tools.sh'], { encoding: 'utf8', timeout: 40 * 60_000, maxBuffer: 64 << 20 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/dev/tools.sh could not build the chart's tools (helm, k8s-validate): ${e.stderr?.slice(-4000) ?? e.message}`, {
      cause: err,
    });
  }
  const env = Object.fromEntries(
    out
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Partial<Tools>;
  for (const k of ['HELM', 'K8S_VALIDATE', 'K8S_APISERVER_VALIDATE', 'K8S_OPENAPI', 'KEDA_CRDS', 'KEDA_PULSAR_SCALER'] as const) {
    if (!env[k]) throw new Error(`scripts/dev/tools.sh printed no ${k}=...; it printed: ${out}`);
  }
  cached = env as Tools;
  return cached;
}

/** The tools' paths; ensureHelmTools() must have run (in beforeAll). */
export function helmTools(): Tools {
  if (cached === undefined) throw new Error('the chart tools are not ready: await ensureHelmTools() in beforeAll');
  return cached;
}

export interface Result {
  code: number;
  out: string;
}

/** Runs a tool; never throws on a non-zero exit (the caller asserts on code and output). */
export async function tool(file: string, args: readonly string[], timeoutMs = 120_000): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, { timeout: timeoutMs, maxBuffer: 64 << 20 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

export interface RenderOptions {
  values: readonly string[];
  apiVersions?: readonly string[];
  release?: string;
  namespace?: string;
}

/** `helm template` with the pinned Kubernetes version; throws with helm's message on failure. */
export async function renderChart(o: RenderOptions): Promise<string> {
  const args = ['template', o.release ?? 'beamline', CHART, '--namespace', o.namespace ?? 'beamline', '--kube-version', KUBE_VERSION];
  for (const v of o.values) args.push('--values', v);
  for (const a of o.apiVersions ?? []) args.push('--api-versions', a);
  const r = await tool(helmTools().HELM, args);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.code}):\n${r.out}`);
  return r.out;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export function documents(rendered: string): K8sObject[] {
  return parseAllDocuments(rendered)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((d): d is K8sObject => d !== null);
}

export function find(docs: readonly K8sObject[], kind: string, name?: string): K8sObject[] {
  return docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
}

/** A values file in a temporary directory (for values built from other files, e.g. a tenant spec). */
export function valuesFile(values: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'beamline-helm-')), 'values.yaml');
  writeFileSync(path, stringify(values));
  return path;
}

export interface ValidationReport {
  source: string;
  kind: string;
  name: string;
  checks: string[] | null;
  errors: string[] | null;
}

export interface Validation {
  code: number;
  reports: ValidationReport[];
  out: string;
}

/**
 * Validates a rendered manifest twice: k8s-validate (schemas: Kubernetes OpenAPI, strict Go
 * types, KEDA CRDs) on every document, and k8s-apiserver-validate (kube-apiserver's own
 * create-time defaulting and validation) on the built-in kinds.
 */
export async function validateManifests(rendered: string): Promise<{ schemas: Validation; apiServer: Validation }> {
  const t = helmTools();
  const path = join(mkdtempSync(join(tmpdir(), 'beamline-manifest-')), 'rendered.yaml');
  writeFileSync(path, rendered);
  const parse = (r: Result): Validation => ({
    code: r.code,
    out: r.out,
    reports: r.out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as ValidationReport),
  });
  const schemas = parse(
    await tool(t.K8S_VALIDATE, [
      '-json',
      '-openapi',
      t.K8S_OPENAPI,
      '-crds',
      t.KEDA_CRDS,
      '-keda-pulsar-scaler',
      t.KEDA_PULSAR_SCALER,
      path,
    ]),
  );
  const apiServer = parse(await tool(t.K8S_APISERVER_VALIDATE, [path]));
  return { schemas, apiServer };
}

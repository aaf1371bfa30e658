/**
 * Reading a worker file (`beamline worker --config`): an empty file, a file that is not a mapping
 * and a key the worker does not know are refused with the file and the nearest valid key, instead
 * of a worker that starts with a typo silently ignored.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../functions/index.ts';
import type { WorkerFile } from '../functions/control-plane.ts';
import { suggest } from '../tenants/definition/index.ts';

// Every key of WorkerFile, as a record so the compiler refuses a key added to WorkerFile but not here.
const TOP_KEY_SET: Readonly<Record<keyof WorkerFile, true>> = {
  handler: true,
  guarantee: true,
  priorityTopic: true,
  scoring: true,
  model: true,
  registry: true,
  batchMaxRecords: true,
  batchMaxWaitMs: true,
  httpPort: true,
  httpHost: true,
  drainDeadlineMs: true,
  gpu: true,
  sloDecisionLatencyMs: true,
  standbyState: true,
  tracing: true,
};
const TOP_KEYS = Object.keys(TOP_KEY_SET) as readonly (keyof WorkerFile)[];
type Keys<T> = Readonly<Record<keyof NonNullable<T>, true>>;
const NESTED_KEYS: Readonly<Record<string, readonly string[]>> = {
  scoring: Object.keys({
    features: true,
    idField: true,
    policy: true,
    historyMax: true,
    emitFeatures: true,
    audit: true,
    priority: true,
  } satisfies Keys<WorkerFile['scoring']>),
  model: Object.keys({ path: true, remote: true, version: true } satisfies Keys<WorkerFile['model']>),
  registry: Object.keys({ name: true, namespace: true } satisfies Keys<WorkerFile['registry']>),
  tracing: Object.keys({
    endpoint: true,
    protocol: true,
    sampleRatio: true,
    serviceName: true,
    resource: true,
    exportIntervalMs: true,
    maxExportBatch: true,
    maxQueue: true,
    exportTimeoutMs: true,
  } satisfies Keys<WorkerFile['tracing']>),
};

const EXAMPLE = 'see tenants/examples/ for worker files to start from';

export async function readWorkerFile(path: string): Promise<WorkerFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('--config', path, `pass the path of an existing worker file; ${EXAMPLE}`, { cause });
  }
  return parseWorkerFile(text, path);
}

/** Parse and check the keys of a worker file's text; `path` names it in errors. */
export function parseWorkerFile(text: string, path: string): WorkerFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new ConfigError(
      '--config',
      path,
      `fix the YAML syntax: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
      { cause },
    );
  }
  if (doc === null || doc === undefined) {
    throw new ConfigError(
      '--config',
      path,
      `the worker file is empty; give at least \`handler\` (builtin-scoring needs \`scoring.features\`); ${EXAMPLE}`,
    );
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('--config', path, `a worker file is a YAML mapping with the keys ${TOP_KEYS.join(', ')}; ${EXAMPLE}`);
  }
  checkKeys(doc as Record<string, unknown>, TOP_KEYS, '', path);
  for (const [key, known] of Object.entries(NESTED_KEYS)) {
    const v = (doc as Record<string, unknown>)[key];
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) checkKeys(v as Record<string, unknown>, known, `${key}.`, path);
  }
  return doc as WorkerFile;
}

function checkKeys(obj: Record<string, unknown>, known: readonly string[], prefix: string, path: string): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const near = suggest(key, known);
    const hint = near === undefined ? `the keys here are ${known.map((k) => prefix + k).join(', ')}` : `did you mean ${prefix}${near}?`;
    throw new ConfigError(`${prefix}${key}`, key, `unknown key in the worker file ${path}; ${hint}`);
  }
}

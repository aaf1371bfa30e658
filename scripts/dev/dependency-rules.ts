/**
 * The project's dependency direction (house style rule 2), checked on every `npm test`:
 *
 * - Each folder under functions/ is one concept; other folders reach it only through its
 *   index.ts. The small shared files at functions/ top level (errors, clock, backoff, telemetry,
 *   contract) may be imported directly.
 * - tenants/, models/, review/, sinks/, cli/, demo/, local-broker/, bridge/ and bin/ use
 *   functions/ only through its two entries: functions/index.ts (the handler author's surface)
 *   and functions/control-plane.ts.
 * - bridge/ alone imports the Pub/Sub client (`@google-cloud/pubsub`) (scripts/ may, for the
 *   bench's bare baseline); others reach the bridge through bridge/index.ts.
 * - functions/pulsar/ alone touches sockets and Avro/protobuf bytes.
 * - #25: other servers are reached over HTTP only by functions/pulsar/ (the admin API) and by the
 *   remote-model runtime, functions/inference/remote/ (Open Inference Protocol calls through
 *   Node's global fetch). Calling a model server is model serving, which belongs to inference/;
 *   keeping it to that one sub-folder keeps every other concept free of outbound network calls.
 * - functions/inference/ alone imports TensorFlow.js, ONNX Runtime and WebGPU.
 * - #22: functions/tracing/ alone imports the OpenTelemetry JS SDK (`@opentelemetry/*`): runtime
 *   code traces through telemetry.ts's small `Tracer`, so one folder knows the SDK (its OTLP
 *   exporter is how spans reach a collector; no file of ours fetches for it).
 * - functions/windows/, functions/state/, functions/governance/ and functions/parquet/ do no I/O.
 * - functions/runtime/ is the only composition root: the other concepts never import it, nor
 *   each other (windows may use state).
 * - #15: tenants/ and models/ are siblings that never import each other; cli/ (the `beamline`
 *   command) is the only place that composes them: no other file imports both.
 * - #15: product code (functions, tenants, models, review, sinks, cli, bridge, demo, local-broker,
 *   bin) never imports scripts/ (dev tools, bootstrap, benchmarks, the thin `scripts/pulsar` entry).
 * - #15: local-broker/ (a standalone Pulsar run from Maven jars: start/stop/status, config, geo
 *   topology, TLS material) is the demo's, the tests' and scripts/' way to a real broker: only
 *   demo/, scripts/ and test/ import it, through local-broker/index.ts (tests may reach its files),
 *   and it is a leaf (functions/ and nothing else of the product).
 * - #15: review/ (the human review queue) and sinks/ (webhook action sinks) are leaves: they use
 *   functions/ and nothing else of the product; cli/ composes them with the rest.
 * - #15: nothing imports past a package's index. functions/pulsar/ is the workspace package
 *   `@beamline/pulsar`: code outside it imports `@beamline/pulsar` (or functions/pulsar/index.ts)
 *   and the sub-path entries its package.json exports, never a file or sub-folder behind them.
 * - #15: inside a package, error codes are named once in its errors.ts catalogue; other files
 *   refer to the constant, never an inline 'BL_...' string.
 * - #15: functions/inference/ may import `@beamline/pulsar/protobuf` (the protobuf writer, no
 *   client and no sockets) for its ONNX model encoder: one protobuf writer in the codebase.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const SOURCE_ROOTS = ['functions', 'tenants', 'models', 'review', 'sinks', 'cli', 'bridge', 'demo', 'local-broker', 'bin', 'scripts'];

/** #15: the product's folders; none of them imports scripts/. */
const PRODUCT_ROOTS: readonly string[] = [
  'functions',
  'tenants',
  'models',
  'review',
  'sinks',
  'cli',
  'bridge',
  'demo',
  'local-broker',
  'bin',
];

/** #15: product folders that import nothing of the product but functions/, and who uses each. */
const LEAF_USERS: Readonly<Record<string, string>> = {
  review: 'cli/ composes it',
  sinks: 'cli/ composes it',
  'local-broker': 'demo/, scripts/ and the tests use it',
};

/** #15: the folders that may start a local broker (local-broker/). */
const LOCAL_BROKER_USERS: readonly string[] = ['demo', 'scripts', 'test'];
const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** An error code written as a string literal (`'BL_X'`, `"BL_X"` or a template starting with it). */
const INLINE_CODE_RE = /['"`]BL_[A-Z0-9_]*/;

/** A call of the global fetch (not a method such as `x.fetch(` or a name such as `prefetch(`). */
const FETCH_RE = /(?<![\w.$])fetch\s*\(/;

/** The two public entries of functions/: the handler author's surface and the control plane's. */
const FUNCTIONS_ENTRIES: readonly string[] = ['functions/index.ts', 'functions/control-plane.ts'];

const SOCKETS = ['node:net', 'node:tls', 'node:dgram', 'net', 'tls', 'dgram'];
const WIRE_LIBS = ['avsc', 'protobufjs', 'lz4js', 'snappyjs'];
const ML_LIBS = ['@tensorflow/', 'onnxruntime-node', 'onnxruntime-web', 'webgpu'];
const PUBSUB_LIBS = ['@google-cloud/pubsub'];
const OTEL_LIBS = ['@opentelemetry/'];
const IO_MODULES = [
  ...SOCKETS,
  'node:fs',
  'node:fs/promises',
  'node:http',
  'node:https',
  'node:child_process',
  'node:worker_threads',
  'fs',
  'http',
  'child_process',
];

/**
 * Workspace packages: their folder and public entries (the package.json `exports`), each as the
 * bare specifier and the file it resolves to. Files of a package reach each other freely.
 */
const PACKAGES: readonly { name: string; dir: string; entries: Readonly<Record<string, string>> }[] = [
  {
    name: '@beamline/pulsar',
    dir: 'functions/pulsar',
    entries: { '@beamline/pulsar': 'functions/pulsar/index.ts', '@beamline/pulsar/protobuf': 'functions/pulsar/protobuf.ts' },
  },
];

/** Single package entries a concept may import beside ALLOWED_CONCEPT_DEPS (why: see the header). */
const ALLOWED_ENTRY_DEPS: Record<string, readonly string[]> = {
  inference: ['functions/pulsar/protobuf.ts'],
};

/** Concepts under functions/ and which other concepts each may import (through their index). */
const ALLOWED_CONCEPT_DEPS: Record<string, readonly string[]> = {
  pulsar: [],
  inference: [],
  state: [],
  windows: ['state'],
  governance: [],
  tracing: [],
  parquet: [],
  runtime: ['*'],
};

export function listSourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const r of SOURCE_ROOTS) {
    try {
      walk(join(root, r));
    } catch {
      /* folder not there yet */
    }
  }
  return out;
}

export interface ImportRef {
  specifier: string;
  /** `import type` / `export type`: erased at run time. */
  typeOnly: boolean;
}

export function importsOf(source: string): ImportRef[] {
  const refs: ImportRef[] = [];
  for (const m of source.matchAll(IMPORT_RE)) {
    const s = m[2] ?? m[3];
    if (s !== undefined) refs.push({ specifier: s, typeOnly: m[1] !== undefined });
  }
  return refs;
}

function matches(spec: string, list: readonly string[]): boolean {
  return list.some((l) => (l.endsWith('/') ? spec.startsWith(l) : spec === l || spec.startsWith(`${l}/`)));
}

/** Path parts relative to the repo root, with '/' separators. */
function rel(root: string, p: string): string {
  return relative(root, p).split(sep).join('/');
}

export function checkFile(root: string, file: string, source: string): Violation[] {
  const from = rel(root, file);
  const violations: Violation[] = [];
  const fromParts = from.split('/');
  const fromTop = fromParts[0];
  // The concept a file under functions/ belongs to ('' for the shared top-level files).
  const fromConcept = fromTop === 'functions' && fromParts.length > 2 ? (fromParts[1] ?? '') : '';

  const mayFetch = fromConcept === 'pulsar' || from.startsWith('functions/inference/remote/');
  if (fromTop === 'functions' && !mayFetch && FETCH_RE.test(source)) {
    violations.push({
      file: from,
      specifier: 'fetch',
      rule: 'only functions/pulsar/ and functions/inference/remote/ call other servers (fetch)',
    });
  }
  // #15: a package's error codes live in its catalogue; code names the constant, never the string.
  const pkg = PACKAGES.find((p) => from.startsWith(`${p.dir}/`));
  if (pkg !== undefined && from !== `${pkg.dir}/errors.ts` && INLINE_CODE_RE.test(source)) {
    violations.push({ file: from, specifier: 'BL_', rule: `error codes of ${pkg.name} are named in ${pkg.dir}/errors.ts, not inline` });
  }
  // #15: which of tenants/ and models/ this file imports (only cli/ may compose the two).
  const composes = new Set<string>();
  for (const { specifier: spec, typeOnly } of importsOf(source)) {
    const add = (rule: string): void => void violations.push({ file: from, specifier: spec, rule });
    // scripts/ (the bench's bare baseline loop) may use the raw client; product code may not.
    if (matches(spec, PUBSUB_LIBS) && fromTop !== 'bridge' && fromTop !== 'scripts') add('only bridge/ imports the Pub/Sub client');
    // #22: type-only imports too: the SDK's types are its API, which stays behind functions/tracing/.
    if (matches(spec, OTEL_LIBS) && !from.startsWith('functions/tracing/')) {
      add('only functions/tracing/ imports the OpenTelemetry SDK (@opentelemetry/*); trace through telemetry.ts');
    }
    const bare = PACKAGES.find((p) => spec === p.name || spec.startsWith(`${p.name}/`));
    if (spec.startsWith('.') || bare !== undefined) {
      let target: string;
      if (bare !== undefined) {
        const entry = bare.entries[spec];
        if (entry === undefined) {
          add(
            `import ${bare.name} only through its entries (${Object.keys(bare.entries).join(', ')}): nothing imports past a package's index`,
          );
          continue;
        }
        target = entry;
      } else {
        target = rel(root, resolve(dirname(file), spec));
      }
      const tParts = target.split('/');
      const tTop = tParts[0] ?? '';
      if ((fromTop === 'tenants' && tTop === 'models') || (fromTop === 'models' && tTop === 'tenants')) {
        add('tenants/ and models/ never import each other (cli/ composes them)');
      }
      if ((tTop === 'tenants' || tTop === 'models') && tTop !== fromTop) composes.add(tTop);
      const leafUsers = LEAF_USERS[fromTop ?? ''];
      if (leafUsers !== undefined && tTop !== fromTop && PRODUCT_ROOTS.includes(tTop) && tTop !== 'functions') {
        add(`${fromTop}/ is a leaf: it imports functions/ and nothing else of the product (${leafUsers})`);
      }
      if (tTop === 'scripts' && PRODUCT_ROOTS.includes(fromTop ?? '')) {
        add('product code (functions, tenants, models, review, sinks, cli, bridge, demo, local-broker, bin) never imports scripts/');
      }
      if (tTop === 'local-broker' && fromTop !== 'local-broker') {
        if (!LOCAL_BROKER_USERS.includes(fromTop ?? ''))
          add('only demo/, scripts/ and test/ import local-broker/ (a local run, not production)');
        else if (target !== 'local-broker/index.ts' && fromTop !== 'test') add('import local-broker/ only through local-broker/index.ts');
      }
      const tPackage = PACKAGES.find((p) => target.startsWith(`${p.dir}/`));
      const fromInside = tPackage !== undefined && from.startsWith(`${tPackage.dir}/`);
      const isEntry = tPackage !== undefined && Object.values(tPackage.entries).includes(target);
      if (tPackage !== undefined && !fromInside && !isEntry) {
        add(`import ${tPackage.dir}/ only through its index.ts`);
        continue;
      }
      if (tParts[0] === 'bridge' && fromTop !== 'bridge' && target !== 'bridge/index.ts' && fromTop !== 'test') {
        add('import bridge/ only through bridge/index.ts');
        continue;
      }
      if (tParts[0] !== 'functions') continue;
      const tConcept = tParts.length > 2 ? (tParts[1] ?? '') : '';
      // A concept folder's index.ts, or the index.ts of one of its sub-concepts (pulsar/admin).
      const viaIndex = isEntry || /^index\.(ts|js)$/.test(tParts[tParts.length - 1] ?? '');
      if (
        fromTop === 'tenants' ||
        fromTop === 'models' ||
        fromTop === 'review' ||
        fromTop === 'sinks' ||
        fromTop === 'cli' ||
        fromTop === 'bridge' ||
        fromTop === 'bin' ||
        fromTop === 'demo' ||
        fromTop === 'local-broker'
      ) {
        if (!FUNCTIONS_ENTRIES.includes(target))
          add(`${fromTop}/ imports functions/ only through functions/index.ts or functions/control-plane.ts`);
        continue;
      }
      if (fromTop !== 'functions' || tConcept === '' || tConcept === fromConcept) continue;
      if (fromConcept === '' && !FUNCTIONS_ENTRIES.includes(from)) {
        // The shared files (contract.ts) may name a concept's types, never its implementation.
        if (!typeOnly) add('the shared top-level files of functions/ import concept types only (`import type`)');
        else if (!viaIndex) add(`import functions/${tConcept}/ only through its index.ts`);
        continue;
      }
      if (!viaIndex) add(`import functions/${tConcept}/ only through its index.ts`);
      if (fromConcept !== '') {
        const allowed = ALLOWED_CONCEPT_DEPS[fromConcept] ?? [];
        const entryAllowed = (ALLOWED_ENTRY_DEPS[fromConcept] ?? []).includes(target);
        if (!allowed.includes('*') && !allowed.includes(tConcept) && !entryAllowed) {
          add(`functions/${fromConcept}/ may not depend on functions/${tConcept}/ (runtime/ is the only composition root)`);
        }
      }
      continue;
    }
    if (fromTop !== 'functions') continue;
    // A type-only import (AddressInfo from node:net for an HTTP server) opens no socket.
    if ((matches(spec, SOCKETS) || matches(spec, WIRE_LIBS)) && fromConcept !== 'pulsar' && !typeOnly) {
      add('only functions/pulsar/ touches sockets and wire bytes');
    }
    if (matches(spec, ML_LIBS) && fromConcept !== 'inference') add('only functions/inference/ imports ML runtimes');
    if (
      (fromConcept === 'windows' || fromConcept === 'state' || fromConcept === 'governance' || fromConcept === 'parquet') &&
      matches(spec, IO_MODULES)
    ) {
      add(`functions/${fromConcept}/ does no I/O`);
    }
  }
  if (composes.size === 2 && fromTop !== 'cli' && fromTop !== 'test') {
    violations.push({ file: from, specifier: 'tenants/ + models/', rule: 'only cli/ composes tenants/ and models/' });
  }
  return violations;
}

export function checkTree(root: string): Violation[] {
  return listSourceFiles(root).flatMap((f) => checkFile(root, f, readFileSync(f, 'utf8')));
}

/**
 * `npm run bench -- SUITE [--flag value ...]`: runs scripts/bench/suites/<SUITE>.ts and writes
 * bench-results/<SUITE>.{json,md}. Uses the broker named by PULSAR_SERVICE_URL/PULSAR_ADMIN_URL
 * (and PULSAR_TOKEN) when set; otherwise starts a local one through local-broker/ (and stops it
 * afterwards). Suites that export `needsBroker = false` never get one.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError, type Logger } from '../../functions/index.ts';
import { createRootLogger } from '../../functions/control-plane.ts';
import { machineInfo, renderTable, writeReport, type BenchReport } from './report.ts';
import type { BenchContext, SuiteModule } from './suite.ts';
import type * as BrokerModule from '../../local-broker/index.ts';

const benchDir = resolve(fileURLToPath(new URL('.', import.meta.url)));
const repoRoot = resolve(benchDir, '..', '..');
const suitesDir = join(benchDir, 'suites');
/** Broker instance name and port offset for a broker this runner starts itself (6850/8280). */
const BENCH_BROKER = { name: 'bench', offset: 200 };

export interface BenchArgs {
  suite: string;
  options: Record<string, string>;
}

/** `SUITE --a 1 --flag --b=2` -> { suite, options: { a: '1', flag: 'true', b: '2' } }. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const [suite, ...rest] = argv;
  if (suite === undefined || suite.startsWith('-')) {
    throw new ConfigError('suite', suite, 'name one: npm run bench -- SUITE [--option value ...]');
  }
  const options: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (!arg.startsWith('--')) throw new ConfigError('argument', arg, 'suite options are --name value pairs');
    const eq = arg.indexOf('=');
    if (eq > 0) {
      options[arg.slice(2, eq)] = arg.slice(eq + 1);
      continue;
    }
    const next = rest[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      options[arg.slice(2)] = next;
      i++;
    } else {
      options[arg.slice(2)] = 'true';
    }
  }
  return { suite, options };
}

export function listSuites(dir = suitesDir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function loadSuite(suite: string, dir: string): Promise<SuiteModule> {
  const file = join(dir, `${suite}.ts`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(suite) || !existsSync(file)) {
    throw new ConfigError('suite', suite, `available suites: ${listSuites(dir).join(', ') || 'none'}`);
  }
  const mod = (await import(pathToFileURL(file).href)) as Partial<SuiteModule>;
  if (typeof mod.run !== 'function') {
    throw new ConfigError(
      `scripts/bench/suites/${suite}.ts`,
      'no run export',
      'export async function run(ctx: BenchContext): Promise<SuiteResult>',
    );
  }
  return { run: mod.run, needsBroker: mod.needsBroker !== false };
}

interface BrokerHandle {
  serviceUrl: string;
  adminUrl: string;
  token?: string;
  started: boolean;
  stop: () => Promise<void>;
}

async function acquireBroker(log: Logger): Promise<BrokerHandle> {
  const env = process.env;
  const serviceUrl = env['PULSAR_SERVICE_URL'];
  const adminUrl = env['PULSAR_ADMIN_URL'];
  const token = env['PULSAR_TOKEN'] || undefined;
  if (serviceUrl && adminUrl) {
    return { serviceUrl, adminUrl, ...(token === undefined ? {} : { token }), started: false, stop: async () => undefined };
  }
  const brokerModule = join(repoRoot, 'local-broker', 'index.ts');
  if (!existsSync(brokerModule)) {
    throw new ConfigError(
      'PULSAR_SERVICE_URL',
      serviceUrl,
      'set PULSAR_SERVICE_URL and PULSAR_ADMIN_URL to a running broker (local-broker/ is not available to start one)',
    );
  }
  const broker = (await import(pathToFileURL(brokerModule).href)) as typeof BrokerModule;
  const status = await broker.brokerStatus(BENCH_BROKER.name);
  if (status.running && status.ready && status.info) {
    const i = status.info;
    log.info({ adminUrl: i.adminUrl }, 'reusing running bench broker');
    return {
      serviceUrl: i.serviceUrl,
      adminUrl: i.adminUrl,
      ...(i.token === undefined ? {} : { token: i.token }),
      started: false,
      stop: async () => undefined,
    };
  }
  if (status.running) await broker.stopBroker(BENCH_BROKER.name);
  log.info({ name: BENCH_BROKER.name }, 'starting a local broker for this run (set PULSAR_SERVICE_URL/PULSAR_ADMIN_URL to reuse one)');
  const info = await broker.startBroker({ ...BENCH_BROKER, log: (line) => log.info({ line }, 'broker') });
  return {
    serviceUrl: info.serviceUrl,
    adminUrl: info.adminUrl,
    started: true,
    stop: async () => {
      await broker.stopBroker(BENCH_BROKER.name);
    },
  };
}

export interface MainOptions {
  /** @default scripts/bench/suites */
  suitesDir?: string;
  /** @default <repo>/bench-results */
  resultsDir?: string;
  /** Where the table and file names go. @default process.stdout */
  out?: NodeJS.WritableStream;
  log?: Logger;
}

export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const log = options.log ?? createRootLogger({ destination: process.stderr }).child({ component: 'bench' });
  const out = options.out ?? process.stdout;
  const args = parseBenchArgs(argv);
  const suite = await loadSuite(args.suite, options.suitesDir ?? suitesDir);
  const broker = suite.needsBroker ? await acquireBroker(log) : undefined;
  const resultsDir = options.resultsDir ?? join(repoRoot, 'bench-results');
  const ctx: BenchContext = {
    suite: args.suite,
    serviceUrl: broker?.serviceUrl ?? '',
    adminUrl: broker?.adminUrl ?? '',
    ...(broker?.token === undefined ? {} : { token: broker.token }),
    log: log.child({ suite: args.suite }),
    options: Object.freeze({ ...args.options }),
    resultsDir,
  };
  const machine = machineInfo();
  const started = performance.now();
  try {
    const result = await suite.run(ctx);
    const report: BenchReport = {
      suite: args.suite,
      machine,
      durationMs: Math.round(performance.now() - started),
      broker: broker === undefined ? null : { serviceUrl: broker.serviceUrl, adminUrl: broker.adminUrl, started: broker.started },
      options: ctx.options,
      result,
    };
    const files = writeReport(resultsDir, report);
    out.write(`${renderTable(result.rows)}\n`);
    for (const n of result.notes ?? []) out.write(`- ${n}\n`);
    out.write(`\nwrote ${files.md} and ${files.json}\n`);
    return result.failed === true ? 1 : 0;
  } finally {
    await broker?.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

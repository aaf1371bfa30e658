/**
 * Start, stop and inspect a local Apache Pulsar standalone broker (one JVM: broker, bookie,
 * RocksDB metadata, transaction coordinator). Used by `scripts/pulsar`, the test global setup
 * and the benchmarks.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { checkJava, ensureJars } from './fetch-jars.ts';
import {
  portsFor,
  renderLog4j,
  renderStandaloneConf,
  tlsPortsFor,
  type BrokerTlsInput,
  type InstancePorts,
  type TlsPorts,
} from './config.ts';
import { BrokerScriptError } from './errors.ts';
import { instanceDir, jarDir } from './paths.ts';
import { ensureTlsFiles, tlsHandshakeOk } from './tls.ts';
import { newSecretKey, signToken } from './token.ts';

export interface StartOptions {
  /** Instance and cluster name. @default 'standalone' */
  name?: string;
  /** Added to every base port (6650, 8080, 3181). @default 0 */
  offset?: number;
  /** Token authentication and authorization on. @default false */
  auth?: boolean;
  /**
   * TLS listeners too (6651+offset, 8443+offset) with a CA and certificate made once per instance
   * under its `tls/` folder. @default false (with keepData: as the earlier run)
   */
  tls?: boolean;
  /** How long to wait for readiness. @default 180000 */
  readyTimeoutMs?: number;
  /** JVM heap. @default '1g' */
  heap?: string;
  /**
   * Restart on the data of an earlier run of this instance (same name, same ports) instead of
   * starting fresh: for tests that restart a broker and expect their messages back.
   * @default false
   */
  keepData?: boolean;
  log?: (line: string) => void;
}

export interface BrokerInfo {
  name: string;
  pid: number;
  serviceUrl: string;
  adminUrl: string;
  /** Superuser token (with auth on). */
  token?: string;
  secretKeyFile?: string;
  /** With tls on. */
  tls?: BrokerTlsInfo;
  ports: InstancePorts;
  dir: string;
  logFile: string;
  startMs: number;
}

export interface BrokerTlsInfo {
  /** `pulsar+ssl://localhost:PORT`: localhost, so clients check the certificate's DNS name. */
  serviceUrl: string;
  /** `https://localhost:PORT` */
  adminUrl: string;
  /** The instance's CA certificate (PEM): what clients must trust. */
  trustCertsFile: string;
  ports: TlsPorts;
}

const JVM_OPENS = [
  'java.base/java.io',
  'java.base/java.util.zip',
  'java.management/sun.management',
  'jdk.management/com.sun.management.internal',
  'java.base/java.nio',
  'java.base/jdk.internal.misc',
  'java.base/jdk.internal.platform',
  'java.base/java.lang',
  'java.base/sun.net',
];

export async function startBroker(options: StartOptions = {}): Promise<BrokerInfo> {
  const name = options.name ?? 'standalone';
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) {
    throw new BrokerScriptError(
      `--name ${JSON.stringify(name)} is not a valid cluster name`,
      'use lowercase letters, digits and dashes, starting with a letter',
    );
  }
  const offset = options.offset ?? 0;
  const log = options.log ?? (() => undefined);
  const dir = instanceDir(name);
  const existing = readInfo(name);
  if (existing && isAlive(existing.pid)) {
    throw new BrokerScriptError(
      `broker "${name}" is already running (pid ${existing.pid}, ${existing.adminUrl})`,
      `use it, or stop it first with \`scripts/pulsar stop --name ${name}\``,
    );
  }
  checkJava();
  const jars = ensureJars(log);
  const ports = portsFor(offset);
  const tlsOn = options.tls ?? (options.keepData === true && existing?.tls !== undefined);
  const tlsPorts = tlsOn ? tlsPortsFor(offset) : undefined;
  for (const [what, port] of Object.entries({ ...ports, ...tlsPorts })) {
    if (!(await portFree(port))) {
      throw new BrokerScriptError(
        `port ${port} (${what}) is already in use on 127.0.0.1`,
        `stop whatever holds it (\`ss -ltnp | grep :${port}\`) or pick other ports with --offset N`,
      );
    }
  }
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'broker.log');
  let auth: { secretKeyFile: string; adminTokenFile: string; superUserRole: string } | undefined;
  let token: string | undefined;
  if (options.keepData === true) {
    // Same ports as before, or the bookie refuses its own journal.
    if (existing === undefined || existing.ports.broker !== ports.broker) {
      throw new BrokerScriptError(
        `broker "${name}" has no earlier data on these ports to restart from`,
        'start it once without keepData (or with the same --offset as before)',
      );
    }
    if (existing.token !== undefined) {
      token = existing.token;
      auth = { secretKeyFile: join(dir, 'secret.key'), adminTokenFile: join(dir, 'admin.token'), superUserRole: 'admin' };
    }
  } else {
    // Every fresh start wipes the data dir: a bookie reused across port changes refuses to start.
    // The TLS material stays, so a CA file already handed to clients keeps working.
    wipeExcept(dir, ['tls']);
  }
  mkdirSync(dataDir, { recursive: true });
  if (options.auth && options.keepData !== true) {
    const key = newSecretKey();
    const secretKeyFile = join(dir, 'secret.key');
    const adminTokenFile = join(dir, 'admin.token');
    writeFileSync(secretKeyFile, key, { mode: 0o600 });
    token = signToken(key, 'admin');
    writeFileSync(adminTokenFile, token, { mode: 0o600 });
    auth = { secretKeyFile, adminTokenFile, superUserRole: 'admin' };
  }
  let tls: BrokerTlsInput | undefined;
  if (tlsPorts !== undefined) {
    const { files } = ensureTlsFiles(join(dir, 'tls'), { name, log });
    tls = { ports: tlsPorts, certFile: files.certFile, keyFile: files.keyFile, trustCertsFile: files.caCertFile };
  }
  const confFile = join(dir, 'standalone.conf');
  writeFileSync(confFile, renderStandaloneConf({ clusterName: name, ports, dataDir, ...(auth ? { auth } : {}), ...(tls ? { tls } : {}) }));
  const log4jFile = join(dir, 'log4j2.xml');
  writeFileSync(log4jFile, renderLog4j(logFile));

  const args = [
    `-Xms256m`,
    `-Xmx${options.heap ?? '1g'}`,
    '-XX:MaxDirectMemorySize=512m',
    '-XX:+UseG1GC',
    ...JVM_OPENS.flatMap((m) => ['--add-opens', `${m}=ALL-UNNAMED`]),
    '-Dio.netty.tryReflectionSetAccessible=true',
    '-Djava.net.preferIPv4Stack=true',
    '-Dbookkeeper.metadata.bookie.drivers=org.apache.pulsar.metadata.bookkeeper.PulsarMetadataBookieDriver',
    '-Dbookkeeper.metadata.client.drivers=org.apache.pulsar.metadata.bookkeeper.PulsarMetadataClientDriver',
    `-Dlog4j.configurationFile=${log4jFile}`,
    `-Dpulsar.log.dir=${dir}`,
    // RocksDB and Netty unpack native libraries into tmpdir: keep them per instance.
    `-Djava.io.tmpdir=${dataDir}`,
    `-Dbeamline.instance=${dir}`,
    '-cp',
    `${jarDir()}/*`,
    'org.apache.pulsar.PulsarStandaloneStarter',
    '--config',
    confFile,
    '-nfw',
    '-nss',
    '--metadata-dir',
    join(dataDir, 'metadata'),
    '--bookkeeper-dir',
    join(dataDir, 'bookkeeper'),
    '--bookkeeper-port',
    String(ports.bookie),
    '--advertised-address',
    '127.0.0.1',
  ];
  const startMs = Date.now();
  const out = openSync(join(dir, 'stdout.log'), 'a');
  const child = spawn('java', args, { detached: true, stdio: ['ignore', out, out], cwd: dir });
  closeSync(out);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new BrokerScriptError('java could not be started', 'check that `java -version` works');
  const info: BrokerInfo = {
    name,
    pid,
    serviceUrl: `pulsar://127.0.0.1:${ports.broker}`,
    adminUrl: `http://127.0.0.1:${ports.web}`,
    ...(token === undefined ? {} : { token, secretKeyFile: auth?.secretKeyFile }),
    ...(tls === undefined
      ? {}
      : {
          tls: {
            serviceUrl: `pulsar+ssl://localhost:${tls.ports.brokerTls}`,
            adminUrl: `https://localhost:${tls.ports.webTls}`,
            trustCertsFile: tls.trustCertsFile,
            ports: tls.ports,
          },
        }),
    ports,
    dir,
    logFile,
    startMs,
  };
  writeFileSync(join(dir, 'broker.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  log(
    `starting broker "${name}" (pid ${pid}, ${jars.jars} jars) on ${info.serviceUrl}, admin ${info.adminUrl}${info.tls ? `, TLS ${info.tls.serviceUrl} and ${info.tls.adminUrl}` : ''}`,
  );
  try {
    await waitReady(info, options.readyTimeoutMs ?? 180_000, log);
  } catch (err) {
    await stopBroker(name).catch(() => undefined);
    throw err;
  }
  return info;
}

/** Stops the broker this script started under `name` (by pid), SIGKILL after a grace period. */
export async function stopBroker(name = 'standalone', graceMs = 10_000): Promise<boolean> {
  const info = readInfo(name);
  if (!info || !isAlive(info.pid)) return false;
  if (!ownsProcess(info)) {
    throw new BrokerScriptError(
      `pid ${info.pid} recorded for broker "${name}" is not that broker any more`,
      `remove ${info.dir} and check \`ps -p ${info.pid}\``,
    );
  }
  signalGroup(info.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(info.pid) && Date.now() < deadline) await delay(100);
  if (isAlive(info.pid)) {
    signalGroup(info.pid, 'SIGKILL');
    while (isAlive(info.pid)) await delay(50);
  }
  return true;
}

export interface BrokerStatus {
  name: string;
  running: boolean;
  ready: boolean;
  info?: BrokerInfo;
  rssBytes?: number;
}

export async function brokerStatus(name = 'standalone'): Promise<BrokerStatus> {
  const info = readInfo(name);
  if (!info || !isAlive(info.pid)) return { name, running: false, ready: false };
  const ready = await httpOk(`${info.adminUrl}/admin/v2/brokers/ready`, info.token);
  const rss = rssOf(info.pid);
  return { name, running: true, ready, info, ...(rss === undefined ? {} : { rssBytes: rss }) };
}

export function readInfo(name: string): BrokerInfo | undefined {
  const f = join(instanceDir(name), 'broker.json');
  if (!existsSync(f)) return undefined;
  return JSON.parse(readFileSync(f, 'utf8')) as BrokerInfo;
}

export function tailLog(info: Pick<BrokerInfo, 'logFile' | 'dir'>, lines = 40): string {
  const parts: string[] = [];
  for (const f of [info.logFile, join(info.dir, 'stdout.log')]) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8').split('\n');
    // Long config dumps are cut so the tail stays readable.
    parts.push(...text.slice(-lines).map((l) => (l.length > 400 ? `${l.slice(0, 400)}...` : l)));
  }
  return parts.join('\n');
}

/**
 * Ready is more than an open port: the ready endpoint, then public/default (created after
 * "started"), then the transaction coordinator's assign topic, then the broker health check.
 */
async function waitReady(info: BrokerInfo, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const steps: Array<[string, () => Promise<boolean>]> = [
    ['ready endpoint', () => httpOk(`${info.adminUrl}/admin/v2/brokers/ready`, info.token)],
    [
      'public/default namespace',
      async () => {
        const v = await httpJson(`${info.adminUrl}/admin/v2/namespaces/public`, info.token);
        return Array.isArray(v) && v.includes('public/default');
      },
    ],
    [
      'transaction coordinator',
      async () => {
        const r = (await httpJson(
          `${info.adminUrl}/admin/v2/persistent/pulsar/system/transaction_coordinator_assign/partitions`,
          info.token,
        )) as { partitions?: number } | undefined;
        return (r?.partitions ?? 0) > 0;
      },
    ],
    ['health check', () => httpOk(`${info.adminUrl}/admin/v2/brokers/health`, info.token)],
    ['public/default topic load', () => topicLoads(info)],
  ];
  const tls = info.tls;
  if (tls !== undefined) {
    // Both TLS listeners answer a handshake that verifies against the instance's CA for localhost.
    const ca = readFileSync(tls.trustCertsFile);
    steps.push([
      'TLS listeners',
      async () => (await tlsHandshakeOk(tls.ports.brokerTls, ca)) && (await tlsHandshakeOk(tls.ports.webTls, ca)),
    ]);
  }
  for (const [what, check] of steps) {
    for (;;) {
      if (!isAlive(info.pid)) {
        throw new BrokerScriptError(
          `broker "${info.name}" exited while starting (waiting for ${what})`,
          `read the log below (full log: ${info.logFile}); a stale data dir or a port taken by another process are the usual causes`,
          tailLog(info),
        );
      }
      if (await check().catch(() => false)) break;
      if (Date.now() > deadline) {
        throw new BrokerScriptError(
          `broker "${info.name}" not ready after ${Math.round(timeoutMs / 1000)} s (waiting for ${what})`,
          `the machine may be overloaded; read ${info.logFile}, or raise the timeout`,
          tailLog(info),
        );
      }
      await delay(250);
    }
    log(`  ${what}: ok (${((Date.now() - info.startMs) / 1000).toFixed(1)} s)`);
  }
}

async function httpOk(url: string, token?: string): Promise<boolean> {
  try {
    const res = await fetch(url, { headers: authHeader(token), signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * A topic in public/default loads and takes a subscription: the first topic of a namespace
 * creates the namespace's system topics and its transaction buffer reads their snapshot, which on
 * a loaded machine took longer than a client's 15 s operation timeout, so the first test or demo
 * to create a topic paid for it (#14). The topic is deleted again.
 */
async function topicLoads(info: BrokerInfo): Promise<boolean> {
  const topic = `${info.adminUrl}/admin/v2/persistent/public/default/__beamline-ready`;
  const call = async (method: string, url: string): Promise<number> => {
    const res = await fetch(url, { method, headers: authHeader(info.token), signal: AbortSignal.timeout(60_000) });
    await res.arrayBuffer();
    return res.status;
  };
  // 409: left over from an earlier start.
  if (![204, 409].includes(await call('PUT', topic))) return false;
  if (![204, 409].includes(await call('PUT', `${topic}/subscription/ready`))) return false;
  await call('DELETE', `${topic}?force=true`);
  return true;
}

async function httpJson(url: string, token?: string): Promise<unknown> {
  const res = await fetch(url, { headers: authHeader(token), signal: AbortSignal.timeout(10_000) });
  if (!res.ok) {
    await res.arrayBuffer();
    return undefined;
  }
  return res.json();
}

function authHeader(token?: string): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

function wipeExcept(dir: string, keep: string[]): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    if (!keep.includes(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '0.0.0.0', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped) still answers signal 0.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

function ownsProcess(info: BrokerInfo): boolean {
  try {
    return readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').includes(`-Dbeamline.instance=${info.dir}`);
  } catch {
    return true; // no /proc: trust the pid file
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function rssOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

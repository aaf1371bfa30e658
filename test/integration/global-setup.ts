/**
 * Starts the real brokers the integration tests talk to, once per run, and stops them after:
 * - a plain broker (PULSAR_SERVICE_URL / PULSAR_ADMIN_URL), and
 * - a secure broker with token auth and TLS (PULSAR_AUTH_SERVICE_URL / PULSAR_AUTH_ADMIN_URL /
 *   PULSAR_AUTH_TOKEN / PULSAR_AUTH_SECRET_KEY_FILE on its plain ports, for authorization tests,
 *   and PULSAR_AUTH_TLS_SERVICE_URL / PULSAR_AUTH_TLS_ADMIN_URL / PULSAR_AUTH_TLS_TRUST_CERTS on
 *   its TLS ports).
 * When those variables are already set, that cluster is used instead. A broker of the same
 * name already running (a developer's, or another run's) is reused and left running.
 *
 * A reused broker that lacks what the tests need (auth or TLS on `test-auth`, e.g. one started
 * before --tls existed) is NOT restarted: it belongs to whoever started it, and other runs may be
 * using it, so the setup fails and says how to restart it. Brokers this setup starts itself are
 * stopped at teardown, so a running one was never started by an earlier run of this setup.
 */
import { brokerStatus, startBroker, stopBroker, type BrokerInfo } from '../../local-broker/index.ts';
import { BrokerWatchdog } from '../support/broker-watchdog.ts';
import { testBrokerOffset } from '../support/pulsar-env.ts';

const started: string[] = [];
const watched: BrokerInfo[] = [];
let watchdog: BrokerWatchdog | undefined;

interface Needs {
  offset: number;
  auth: boolean;
  tls: boolean;
}

async function ensure(name: string, needs: Needs): Promise<BrokerInfo> {
  const s = await brokerStatus(name);
  if (s.running && s.ready && s.info) {
    const missing = [
      needs.auth && s.info.token === undefined ? 'token auth' : '',
      needs.tls && s.info.tls === undefined ? 'TLS' : '',
    ].filter((m) => m !== '');
    if (missing.length > 0) {
      const flags = `--offset ${needs.offset}${needs.auth ? ' --auth' : ''}${needs.tls ? ' --tls' : ''}`;
      throw new Error(
        `the running broker "${name}" (pid ${s.info.pid}) has no ${missing.join(' and ')}, which the integration tests need; ` +
          `it was started by someone else, so it is not restarted here. Restart it: ` +
          `\`scripts/pulsar stop --name ${name} && scripts/pulsar start --name ${name} ${flags}\``,
      );
    }
    watched.push(s.info);
    return s.info;
  }
  if (s.running) await stopBroker(name);
  const info = await startBroker({
    name,
    offset: needs.offset,
    auth: needs.auth,
    tls: needs.tls,
    log: (line) => void process.stderr.write(`[pulsar ${name}] ${line}\n`),
  });
  started.push(name);
  watched.push(info);
  return info;
}

export async function setup(): Promise<void> {
  const env = process.env;
  const jobs: Promise<void>[] = [];
  if (!env['PULSAR_SERVICE_URL'] || !env['PULSAR_ADMIN_URL']) {
    jobs.push(
      ensure('test', { offset: testBrokerOffset(), auth: false, tls: false }).then((b) => {
        env['PULSAR_SERVICE_URL'] = b.serviceUrl;
        env['PULSAR_ADMIN_URL'] = b.adminUrl;
        env['PULSAR_CLUSTER'] = b.name;
      }),
    );
  }
  const authVars = [
    'PULSAR_AUTH_SERVICE_URL',
    'PULSAR_AUTH_ADMIN_URL',
    'PULSAR_AUTH_TOKEN',
    'PULSAR_AUTH_TLS_SERVICE_URL',
    'PULSAR_AUTH_TLS_ADMIN_URL',
    'PULSAR_AUTH_TLS_TRUST_CERTS',
  ];
  if (authVars.some((v) => !env[v])) {
    jobs.push(
      ensure('test-auth', { offset: testBrokerOffset(10), auth: true, tls: true }).then((b) => {
        env['PULSAR_AUTH_SERVICE_URL'] = b.serviceUrl;
        env['PULSAR_AUTH_ADMIN_URL'] = b.adminUrl;
        env['PULSAR_AUTH_TOKEN'] = b.token;
        env['PULSAR_AUTH_SECRET_KEY_FILE'] = b.secretKeyFile;
        env['PULSAR_AUTH_CLUSTER'] = b.name;
        env['PULSAR_AUTH_TLS_SERVICE_URL'] = b.tls?.serviceUrl;
        env['PULSAR_AUTH_TLS_ADMIN_URL'] = b.tls?.adminUrl;
        env['PULSAR_AUTH_TLS_TRUST_CERTS'] = b.tls?.trustCertsFile;
      }),
    );
  }
  // Test workers are forked after global setup and inherit these variables.
  await Promise.all(jobs);
  watchdog = new BrokerWatchdog(watched, {
    // A shared broker that stopped answering fails every later test by timeout: end the run
    // with the evidence at its end rather than let it run into the CI deadline.
    onGiveUp: (broker) => {
      process.stderr.write(`[pulsar ${broker.name}] the run ends here: every later test would time out on this broker\n`);
      watchdog?.stop();
      void stopStarted().finally(() => process.exit(1));
    },
  });
  watchdog.start();
}

export async function teardown(): Promise<void> {
  watchdog?.stop();
  watchdog?.report();
  await stopStarted();
}

async function stopStarted(): Promise<void> {
  for (const name of started.splice(0)) await stopBroker(name).catch(() => undefined);
}

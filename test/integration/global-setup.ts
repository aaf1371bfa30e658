/**
 * Starts the real brokers the integration tests talk to, once per run, and stops them after:
 * - a plain broker (PULSAR_SERVICE_URL / PULSAR_ADMIN_URL), and
 * - a broker with token auth (PULSAR_AUTH_SERVICE_URL / PULSAR_AUTH_ADMIN_URL / PULSAR_AUTH_TOKEN /
 *   PULSAR_AUTH_SECRET_KEY_FILE) for authorization tests.
 * When those variables are already set, that cluster is used instead. A broker of the same
 * name already running (a developer's, or another run's) is reused and left running.
 */
import { brokerStatus, startBroker, stopBroker, type BrokerInfo } from '../../scripts/broker/broker.ts';

const started: string[] = [];

async function ensure(name: string, offset: number, auth: boolean): Promise<BrokerInfo> {
  const s = await brokerStatus(name);
  if (s.running && s.ready && s.info) return s.info;
  if (s.running) await stopBroker(name);
  const info = await startBroker({
    name,
    offset,
    auth,
    log: (line) => void process.stderr.write(`[pulsar ${name}] ${line}\n`),
  });
  started.push(name);
  return info;
}

export async function setup(): Promise<void> {
  const env = process.env;
  const jobs: Promise<void>[] = [];
  if (!env['PULSAR_SERVICE_URL'] || !env['PULSAR_ADMIN_URL']) {
    jobs.push(
      ensure('test', 100, false).then((b) => {
        env['PULSAR_SERVICE_URL'] = b.serviceUrl;
        env['PULSAR_ADMIN_URL'] = b.adminUrl;
        env['PULSAR_CLUSTER'] = b.name;
      }),
    );
  }
  if (!env['PULSAR_AUTH_SERVICE_URL'] || !env['PULSAR_AUTH_ADMIN_URL'] || !env['PULSAR_AUTH_TOKEN']) {
    jobs.push(
      ensure('test-auth', 110, true).then((b) => {
        env['PULSAR_AUTH_SERVICE_URL'] = b.serviceUrl;
        env['PULSAR_AUTH_ADMIN_URL'] = b.adminUrl;
        env['PULSAR_AUTH_TOKEN'] = b.token;
        env['PULSAR_AUTH_SECRET_KEY_FILE'] = b.secretKeyFile;
        env['PULSAR_AUTH_CLUSTER'] = b.name;
      }),
    );
  }
  // Test workers are forked after global setup and inherit these variables.
  await Promise.all(jobs);
}

export async function teardown(): Promise<void> {
  for (const name of started.splice(0)) await stopBroker(name);
}

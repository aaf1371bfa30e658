/** The cluster the integration tests talk to (set by test/integration/global-setup.ts). */
export interface PulsarEnv {
  serviceUrl: string;
  adminUrl: string;
  token: string | undefined;
  cluster: string;
}

export function pulsarEnv(): PulsarEnv {
  return {
    serviceUrl: required('PULSAR_SERVICE_URL'),
    adminUrl: required('PULSAR_ADMIN_URL'),
    token: process.env['PULSAR_TOKEN'] || undefined,
    cluster: process.env['PULSAR_CLUSTER'] ?? 'standalone',
  };
}

/** The broker with token auth and authorization on (superuser token). */
export function pulsarAuthEnv(): PulsarEnv & { secretKeyFile: string } {
  return {
    serviceUrl: required('PULSAR_AUTH_SERVICE_URL'),
    adminUrl: required('PULSAR_AUTH_ADMIN_URL'),
    token: required('PULSAR_AUTH_TOKEN'),
    cluster: process.env['PULSAR_AUTH_CLUSTER'] ?? 'standalone',
    secretKeyFile: required('PULSAR_AUTH_SECRET_KEY_FILE'),
  };
}

/**
 * The auth broker's TLS listeners (global setup starts `test-auth` with --auth --tls): a
 * `pulsar+ssl://localhost:PORT` service url, an `https://localhost:PORT` admin url, the CA file
 * that signed the broker's certificate, and the superuser token.
 */
export function pulsarTlsEnv(): { serviceUrl: string; adminUrl: string; trustCertsFile: string; token: string; cluster: string } {
  return {
    serviceUrl: required('PULSAR_AUTH_TLS_SERVICE_URL'),
    adminUrl: required('PULSAR_AUTH_TLS_ADMIN_URL'),
    trustCertsFile: required('PULSAR_AUTH_TLS_TRUST_CERTS'),
    token: required('PULSAR_AUTH_TOKEN'),
    cluster: process.env['PULSAR_AUTH_CLUSTER'] ?? 'standalone',
  };
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run integration tests through vitest (its global setup starts the broker) or export it`);
  return v;
}

/** A short random suffix for tenant/namespace/topic names, so tests never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * The port offset of the brokers the tests start (ports: local-broker/config.ts): the base from
 * BEAMLINE_TEST_BROKER_OFFSET (default 100: `test` at 100, `test-auth` at 110, files with their
 * own broker at 130-150) plus `relative`. A soak run on a fresh clone sets another base so its
 * brokers never meet the ones a developer or another checkout is running.
 */
export function testBrokerOffset(relative = 0): number {
  const raw = process.env['BEAMLINE_TEST_BROKER_OFFSET'];
  const base = raw === undefined || raw === '' ? 100 : Number(raw);
  if (!Number.isInteger(base) || base < 0 || base > 1000) {
    throw new Error(`BEAMLINE_TEST_BROKER_OFFSET=${raw} is not a port offset; use an integer from 0 to 1000 (default 100)`);
  }
  return base + relative;
}

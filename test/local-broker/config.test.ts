/** The standalone.conf the broker script renders: plain, with token auth, and with TLS listeners. */
import { describe, expect, it } from 'vitest';
import { portsFor, renderStandaloneConf, tlsPortsFor } from '../../local-broker/config.ts';

function parse(conf: string): Map<string, string> {
  return new Map(
    conf
      .trim()
      .split('\n')
      .map((line) => {
        const i = line.indexOf('=');
        return [line.slice(0, i), line.slice(i + 1)] as [string, string];
      }),
  );
}

const base = { clusterName: 'secure', ports: portsFor(20), dataDir: '/d' };
const tls = { ports: tlsPortsFor(20), certFile: '/t/broker.cert.pem', keyFile: '/t/broker.key.pem', trustCertsFile: '/t/ca.cert.pem' };

describe('renderStandaloneConf', () => {
  it('offsets every port, TLS ones from Pulsar’s defaults 6651 and 8443', () => {
    expect(portsFor(20)).toEqual({ broker: 6670, web: 8100, bookie: 3201 });
    expect(tlsPortsFor(20)).toEqual({ brokerTls: 6671, webTls: 8463 });
  });

  it('a plain broker has no TLS listener and no TLS broker client', () => {
    const c = parse(renderStandaloneConf(base));
    expect(c.get('brokerServicePort')).toBe('6670');
    expect(c.get('webServicePort')).toBe('8100');
    for (const k of ['brokerServicePortTls', 'webServicePortTls', 'tlsCertificateFilePath', 'brokerClientTlsEnabled'])
      expect(c.has(k)).toBe(false);
    expect(c.get('numHttpServerThreads')).toBe('4');
  });

  it("gives the storage layer's frame limit headroom above maxMessageSize (at least Pulsar's own 10 KiB)", () => {
    const c = parse(renderStandaloneConf(base));
    const max = Number(c.get('maxMessageSize'));
    expect(max).toBe(5 * 1024 * 1024);
    expect(Number(c.get('nettyMaxFrameSizeBytes'))).toBeGreaterThanOrEqual(max + 10 * 1024);
  });

  it('TLS adds both listeners beside the plain ones, the certificate files, and a TLS broker client trusting the CA', () => {
    const c = parse(renderStandaloneConf({ ...base, tls }));
    expect(c.get('brokerServicePort')).toBe('6670');
    expect(c.get('webServicePort')).toBe('8100');
    expect(c.get('brokerServicePortTls')).toBe('6671');
    expect(c.get('webServicePortTls')).toBe('8463');
    expect(c.get('tlsCertificateFilePath')).toBe('/t/broker.cert.pem');
    expect(c.get('tlsKeyFilePath')).toBe('/t/broker.key.pem');
    expect(c.get('tlsTrustCertsFilePath')).toBe('/t/ca.cert.pem');
    expect(c.get('tlsAllowInsecureConnection')).toBe('false');
    expect(c.get('brokerClientTlsEnabled')).toBe('true');
    expect(c.get('brokerClientTrustCertsFilePath')).toBe('/t/ca.cert.pem');
    // Two Jetty connectors need more than the 4 threads a plain broker gets.
    expect(Number(c.get('numHttpServerThreads'))).toBeGreaterThanOrEqual(8);
  });

  it('TLS and token auth combine: the broker client authenticates with the superuser token over TLS', () => {
    const c = parse(
      renderStandaloneConf({
        ...base,
        tls,
        auth: { secretKeyFile: '/s/secret.key', adminTokenFile: '/s/admin.token', superUserRole: 'admin' },
      }),
    );
    expect(c.get('authenticationEnabled')).toBe('true');
    expect(c.get('brokerClientAuthenticationParameters')).toBe('file:///s/admin.token');
    expect(c.get('brokerClientTlsEnabled')).toBe('true');
  });

  it('renders each key once', () => {
    const lines = renderStandaloneConf({ ...base, tls })
      .trim()
      .split('\n');
    const keys = lines.map((l) => l.slice(0, l.indexOf('=')));
    expect(new Set(keys).size).toBe(keys.length);
  });
});

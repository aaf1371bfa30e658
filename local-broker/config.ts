/**
 * The standalone broker's configuration for one named instance. Each instance is its own
 * cluster (named after the instance) with its own ports, metadata store and bookie.
 */
export interface InstancePorts {
  broker: number;
  web: number;
  bookie: number;
}

/** Base ports plus an offset, so `--offset 10` gives 6660/8090/3191. */
export function portsFor(offset: number): InstancePorts {
  return { broker: 6650 + offset, web: 8080 + offset, bookie: 3181 + offset };
}

/** The TLS listeners beside the plain ones: 6651+offset and 8443+offset, Pulsar's own defaults. */
export interface TlsPorts {
  brokerTls: number;
  webTls: number;
}

export function tlsPortsFor(offset: number): TlsPorts {
  return { brokerTls: 6651 + offset, webTls: 8443 + offset };
}

export interface BrokerTlsInput {
  ports: TlsPorts;
  certFile: string;
  /** PKCS#8 PEM. */
  keyFile: string;
  /** The CA that signed certFile. */
  trustCertsFile: string;
}

export interface BrokerConfigInput {
  clusterName: string;
  ports: InstancePorts;
  dataDir: string;
  /** Absolute paths of the HS256 secret key and the superuser's token, when auth is on. */
  auth?: { secretKeyFile: string; adminTokenFile: string; superUserRole: string };
  /** TLS listeners (the plain ones stay open for tests that speak plaintext). */
  tls?: BrokerTlsInput;
}

/** The broker's largest message (Pulsar's default, stated so the frame limits below follow it). */
export const MAX_MESSAGE_SIZE_BYTES = 5 * 1024 * 1024;
/** What the broker allows a frame beyond maxMessageSize for the command and metadata (Pulsar's `Commands.MESSAGE_SIZE_FRAME_PADDING`). */
export const MESSAGE_FRAME_PADDING_BYTES = 10 * 1024;
/**
 * The storage layer's frame limit (`nettyMaxFrameSizeBytes`, read by the standalone's bookie
 * from this same file). Left at BookKeeper's default it equals maxMessageSize, so an entry that
 * reaches it (a full chunk, or a non-chunked message of exactly maxMessageSize) is refused by the
 * bookie and the broker retries forever, rolling a new ledger each time. Pulsar's own
 * standalone.conf and bookkeeper.conf set maxMessageSize + 10 KiB; the frame the broker accepts can
 * already be that large, and the bookie's add request wraps it in its own header, so this leaves
 * 64 KiB more.
 */
export const BOOKIE_FRAME_LIMIT_BYTES = MAX_MESSAGE_SIZE_BYTES + MESSAGE_FRAME_PADDING_BYTES + 64 * 1024;

export function renderStandaloneConf(input: BrokerConfigInput): string {
  const { ports, dataDir } = input;
  const lines: Record<string, string | number | boolean> = {
    clusterName: input.clusterName,
    bindAddress: '127.0.0.1',
    advertisedAddress: '127.0.0.1',
    brokerServicePort: ports.broker,
    webServicePort: ports.web,
    // Blank on purpose: the standalone starter splits a non-blank value on ':' and a
    // rocksdb:// URL crashes it; blank means "RocksDB under --metadata-dir".
    metadataStoreUrl: '',
    configurationMetadataStoreUrl: '',
    managedLedgerDefaultEnsembleSize: 1,
    managedLedgerDefaultWriteQuorum: 1,
    managedLedgerDefaultAckQuorum: 1,
    journalDirectory: `${dataDir}/bookkeeper/journal`,
    ledgerDirectories: `${dataDir}/bookkeeper/ledgers`,
    allowLoopback: true,
    allowEphemeralPorts: true,
    // A nearly full shared disk would otherwise turn the bookie read-only mid-test.
    diskUsageThreshold: 0.999,
    diskUsageWarnThreshold: 0.99,
    transactionCoordinatorEnabled: true,
    // One single-thread executor per slot (default: one per core, so 2 here). A topic's transaction
    // buffer replays its snapshot on its slot while blocking it, and the snapshot reader can need
    // the same slot to finish subscribing (apache/pulsar#24401): the topic then dispatches nothing
    // for 30 s until the replay times out and the broker closes and reopens it. Seen on a loaded
    // 2-core machine as whole partitions of a new topic delivering nothing for 30 s (#14); 32
    // slots make two recoveries sharing one rare.
    numTransactionReplayThreadPoolSize: 32,
    // The broker's own client: its operation timeout bounds how long a transaction buffer waits
    // on the namespace's shared snapshot reader (TableView.readLatest) before the broker closes
    // and reopens the topic. Two partitions recovering at once can both see "more events" and
    // one then waits for a snapshot that never comes; at the default 30 s that partition
    // dispatches nothing for 30 s (the #14 CI flake, seen again with 32 slots). 10 s keeps the
    // stall short of every test's and worker's deadline and is still generous for the broker's
    // other internal calls (lookups, system-topic readers), which retry.
    brokerClient_operationTimeoutMs: 10000,
    systemTopicEnabled: true,
    topicLevelPoliciesEnabled: true,
    brokerDeleteInactiveTopicsEnabled: false,
    forceDeleteNamespaceAllowed: true,
    forceDeleteTenantAllowed: true,
    brokerShutdownTimeoutMs: 3000,
    loadManagerClassName: 'org.apache.pulsar.broker.loadbalance.NoopLoadManager',
    defaultNumberOfNamespaceBundles: 1,
    brokerServiceCompactionMonitorIntervalInSeconds: 10,
    enableReplicatedSubscriptions: true,
    // Batch-index acks: acking one message of a batch must not ack the others (#3).
    acknowledgmentAtBatchIndexLevelEnabled: true,
    brokerDeduplicationEnabled: false,
    numIOThreads: 2,
    numHttpServerThreads: 4,
    managedLedgerCacheSizeMB: 64,
    maxMessageSize: MAX_MESSAGE_SIZE_BYTES,
    nettyMaxFrameSizeBytes: BOOKIE_FRAME_LIMIT_BYTES,
  };
  if (input.auth) {
    Object.assign(lines, {
      authenticationEnabled: true,
      authorizationEnabled: true,
      authenticationProviders: 'org.apache.pulsar.broker.authentication.AuthenticationProviderToken',
      superUserRoles: input.auth.superUserRole,
      tokenSecretKey: `file://${input.auth.secretKeyFile}`,
      brokerClientAuthenticationPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      brokerClientAuthenticationParameters: `file://${input.auth.adminTokenFile}`,
      // Check connections for expired tokens every 2 s (default 60): a client holding an expiring
      // token gets its AUTH_CHALLENGE within seconds, which the auth-refresh test relies on.
      authenticationRefreshCheckSeconds: 2,
    });
  }
  if (input.tls) {
    const t = input.tls;
    Object.assign(lines, {
      brokerServicePortTls: t.ports.brokerTls,
      webServicePortTls: t.ports.webTls,
      tlsCertificateFilePath: t.certFile,
      tlsKeyFilePath: t.keyFile,
      tlsTrustCertsFilePath: t.trustCertsFile,
      tlsAllowInsecureConnection: false,
      tlsRequireTrustedClientCertOnConnect: false,
      // The broker's own clients (standalone's admin setup, system topics, the transaction
      // buffer, compaction) go over TLS too, so a broken TLS setup fails the start, not a test.
      brokerClientTlsEnabled: true,
      brokerClientTrustCertsFilePath: t.trustCertsFile,
      // Jetty leases acceptor and selector threads per connector: 4 threads cannot serve the
      // second (TLS) one and the web service refuses to start.
      numHttpServerThreads: 8,
    });
  }
  return `${Object.entries(lines)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')}\n`;
}

export function renderLog4j(logFile: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <RollingFile name="file" fileName="${logFile}" filePattern="${logFile}.%i">
      <PatternLayout pattern="%d{ISO8601} %-5p [%t] %c{1} - %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="50MB"/></Policies>
      <DefaultRolloverStrategy max="2"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Logger name="org.apache.pulsar.broker.web.RequestLog" level="warn"/>
    <Root level="info"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
`;
}

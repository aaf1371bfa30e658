/**
 * The local broker (#15): a real Apache Pulsar standalone broker fetched from Maven jars and run
 * by the project itself, for the demo, the tests, the benchmarks and `scripts/pulsar` (a thin
 * entry over this folder). Start, stop and status of one named instance; its config and ports;
 * a local geo topology of three clusters; TLS material (openssl CLI) and HS256 tokens.
 * It uses functions/ only through its entries and nothing else of the product; product code
 * reaches it only through this index and never imports scripts/.
 */
export {
  brokerStatus,
  isAlive,
  readInfo,
  startBroker,
  stopBroker,
  type BrokerInfo,
  type BrokerStatus,
  type StartOptions,
} from './broker.ts';
export { MAX_MESSAGE_SIZE_BYTES } from './config.ts';
export { BrokerScriptError, LOCAL_BROKER_ERROR_CODES } from './errors.ts';
export { ensureJars } from './fetch-jars.ts';
export { GEO_MEMBERS, geoEnvLines, geoStatus, runningMembers, startGeo, stopGeo, type GeoCluster, type GeoStartOptions } from './geo.ts';
export { PULSAR_VERSION } from './paths.ts';
export { newSecretKey, signToken } from './token.ts';

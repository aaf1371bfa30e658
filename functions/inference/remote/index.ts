/**
 * Remote models (#25): versions served by Triton, KServe or Seldon MLServer, called over the Open
 * Inference Protocol (HTTP/REST) behind the same engine, breaker and `ctx.score` as local ones.
 */
export { OipClient, RemoteCallError } from './oip-client.ts';
export type { OipClientDeps, OipModelMetadata, OipTensorMetadata, RemoteFailureKind } from './oip-client.ts';
export { resolveAuthHeaders, secretsDir } from './remote-auth.ts';
export { remoteEngineOptions } from './remote-engine.ts';
export { RemoteMetrics } from './remote-metrics.ts';
export { RemoteScorer, jitteredBackoffMs } from './remote-scorer.ts';
export type { RemoteScorerDeps, RemoteScorerState } from './remote-scorer.ts';
export { compileRemoteCallOptions, compileRemoteModelSpec, isLoopback } from './remote-spec.ts';
export type {
  RemoteArtifact,
  RemoteAuthRef,
  RemoteBreakerOptions,
  RemoteCallConfig,
  RemoteCallOptions,
  RemoteModelSpec,
} from './remote-spec.ts';

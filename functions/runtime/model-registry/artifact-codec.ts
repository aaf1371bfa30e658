/**
 * A model artifact as one value on the `models` topic: `BLM1`, a u32 header length, a JSON
 * header (format, model.json for TF.js), then the raw bytes (weights, or the ONNX file).
 * #25: a remote version's artifact is its spec (endpoint, signature, auth reference) in the
 * header, with no body.
 */
import { createHash } from 'node:crypto';
import { compileRemoteModelSpec, type ModelArtifact, type RemoteArtifact } from '../../inference/index.ts';
import { REGISTRY_ERROR_CODES, registryError } from './errors.ts';

/** What a registry version holds: model bytes scored in-process, or where a remote model is served (#25). */
export type RegistryArtifact = ModelArtifact | RemoteArtifact;

const MAGIC = Buffer.from('BLM1');

export function encodeArtifact(a: RegistryArtifact): Buffer {
  let header: Record<string, unknown>;
  let body: Uint8Array;
  if (a.format === 'remote') {
    header = { format: 'remote', spec: a.spec };
    body = new Uint8Array(0);
  } else if (a.format === 'onnx') {
    header = { format: 'onnx' };
    body = a.bytes;
  } else {
    const json =
      typeof a.modelJson === 'string'
        ? a.modelJson
        : a.modelJson instanceof Uint8Array
          ? Buffer.from(a.modelJson).toString('utf8')
          : JSON.stringify(a.modelJson);
    header = { format: 'tfjs-layers', modelJson: json };
    body = a.weights;
  }
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length);
  return Buffer.concat([MAGIC, len, h, body]);
}

export function decodeArtifact(bytes: Buffer): RegistryArtifact {
  if (bytes.length < 8 || !bytes.subarray(0, 4).equals(MAGIC))
    throw registryError(REGISTRY_ERROR_CODES.artifactCorrupt, 'stored artifact has no BLM1 header');
  const n = bytes.readUInt32BE(4);
  if (8 + n > bytes.length)
    throw registryError(REGISTRY_ERROR_CODES.artifactCorrupt, 'stored artifact header is truncated', {
      headerBytes: n,
      total: bytes.length,
    });
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as { format?: string; modelJson?: string; spec?: unknown };
  if (header.format === 'remote') {
    try {
      return { format: 'remote', spec: compileRemoteModelSpec(header.spec) };
    } catch (cause) {
      throw registryError(
        REGISTRY_ERROR_CODES.artifactCorrupt,
        `stored remote model spec is invalid: ${(cause as Error).message}`,
        {},
        cause,
      );
    }
  }
  // Copy: the runtime may post the bytes to a worker thread, which needs its own buffer.
  const body = new Uint8Array(bytes.subarray(8 + n));
  if (header.format === 'onnx') return { format: 'onnx', bytes: body };
  if (header.format === 'tfjs-layers' && typeof header.modelJson === 'string')
    return { format: 'tfjs-layers', modelJson: header.modelJson, weights: body };
  throw registryError(REGISTRY_ERROR_CODES.artifactCorrupt, 'stored artifact has an unknown format', { format: header.format });
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Models on disk: a TF.js layers model folder (model.json plus the weight files its manifest
 * names, as `tfjs.converters` and `model.save('file://...')` write them) or an ONNX file.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BeamlineError } from '../errors.ts';
import { INFERENCE_ERROR_CODES } from './errors.ts';
import type { ModelArtifact } from './model-runtime.ts';

interface WeightsManifestEntry {
  paths: string[];
}

/** Reads a model folder (model.json + weights) or a `.onnx` file into memory. */
export async function readModelArtifact(path: string): Promise<ModelArtifact> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new BeamlineError(INFERENCE_ERROR_CODES.modelNotFound, `no model at ${path}`, {
      cause,
      details: { path, fix: 'give a folder holding model.json and its weight files, or a .onnx file' },
    });
  });
  if (info.isFile()) {
    if (!path.endsWith('.onnx')) {
      throw new BeamlineError(INFERENCE_ERROR_CODES.modelFormat, `${path} is not a .onnx file`, {
        details: { path, fix: 'give a TF.js layers model folder (model.json + weights) or an ONNX file ending in .onnx' },
      });
    }
    return { format: 'onnx', bytes: new Uint8Array(await readFile(path)) };
  }
  const onnx = join(path, 'model.onnx');
  if (
    await stat(onnx).then(
      () => true,
      () => false,
    )
  )
    return { format: 'onnx', bytes: new Uint8Array(await readFile(onnx)) };
  const jsonText = await readFile(join(path, 'model.json'), 'utf8').catch((cause: unknown) => {
    throw new BeamlineError(INFERENCE_ERROR_CODES.modelFormat, `${path} has neither model.json nor model.onnx`, {
      cause,
      details: { path },
    });
  });
  const json = JSON.parse(jsonText) as { weightsManifest?: WeightsManifestEntry[] };
  const parts: Buffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) parts.push(await readFile(join(path, p)));
  }
  return { format: 'tfjs-layers', modelJson: jsonText, weights: new Uint8Array(Buffer.concat(parts)) };
}

/**
 * The registry's storage on a real broker: a model larger than the broker's max message size is
 * stored in parts on the compacted `models` topic, survives compaction (Pulsar's compactor drops
 * broker-chunked messages, which is why parts), and comes back byte for byte (sha256-checked) in
 * a fresh view, as a worker starting later would read it; retiring a version deletes its parts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../functions/control-plane.ts';
import { tfjsArtifactFromSave, type TfjsLayersArtifact } from '../../functions/inference/index.ts';
import {
  ARTIFACT_PART_BYTES,
  ModelRegistry,
  RegistryView,
  encodeArtifact,
  sha256Hex,
} from '../../functions/runtime/model-registry/index.ts';
import { admin, createNamespace, createTenant, deleteTenant, newClient, topic, waitFor } from './worker-support.ts';

const client = newClient();
let tenant = '';

/** 4 -> 1600 -> 1000 -> 1: about 6.4 MB of float32 weights, above the 5 MiB message limit. */
async function bigModel(): Promise<TfjsLayersArtifact> {
  await tf.ready();
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 1600, activation: 'relu', inputShape: [4] }));
  model.add(tf.layers.dense({ units: 1000, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } })),
  );
  model.dispose();
  return tfjsArtifactFromSave(saved as tf.io.ModelArtifacts);
}

beforeAll(async () => {
  tenant = await createTenant('mreg');
  await createNamespace(tenant, 'ns');
  for (const t of ['models', 'audit']) await admin.topics.createNonPartitioned(topic(tenant, 'ns', t));
});

afterAll(async () => {
  await client.close();
  if (tenant !== '') await deleteTenant(tenant);
});

describe('registry storage', () => {
  it('stores a large model in parts and reads it back intact, also after compaction; retire deletes the parts', async () => {
    const artifact = await bigModel();
    const bytes = encodeArtifact(artifact);
    expect(bytes.length).toBeGreaterThan(5 * 1024 * 1024);
    const registry = await ModelRegistry.create({ client, tenant, namespace: 'ns', actor: 'test', log: silentLogger });
    await registry.setFeatureSchema({ features: ['a', 'b', 'c', 'd'], outputs: 1 });
    const phases: string[] = [];
    const sent: number[] = [];
    const pushed = await registry.push(artifact, { name: 'big', onProgress: (p) => (phases.push(p.phase), sent.push(p.bytes)) });
    expect(pushed.parts).toBe(Math.ceil(bytes.length / ARTIFACT_PART_BYTES));
    expect(sent).toEqual([...sent].sort((x, y) => x - y));
    expect(pushed.manifest.sha256).toBe(sha256Hex(bytes));
    expect([...new Set(phases)]).toEqual(['validating', 'uploading', 'uploaded', 'done']);
    expect(phases.filter((p) => p === 'uploading').length).toBe(pushed.parts);
    // A second version overwrites nothing; the rollout key is rewritten (compaction keeps the last).
    await registry.push(artifact, { name: 'big', version: '2' });
    await registry.promote('big', '2');
    await registry.close();

    const fresh = await RegistryView.create(client, topic(tenant, 'ns', 'models'));
    expect(fresh.rollout('big')).toMatchObject({ live: '2', history: ['1'] });
    const back = fresh.artifact('big', '1');
    expect(sha256Hex(encodeArtifact(back))).toBe(pushed.manifest.sha256);
    await fresh.close();

    await admin.topics.triggerCompaction(topic(tenant, 'ns', 'models'));
    let status = '';
    await waitFor(
      () => status === 'SUCCESS' || status === 'ERROR',
      60_000,
      'compaction',
      () => {
        void admin.topics.getCompactionStatus(topic(tenant, 'ns', 'models')).then((s) => (status = s.status));
      },
    );
    expect(status).toBe('SUCCESS');
    const compacted = await RegistryView.create(client, topic(tenant, 'ns', 'models'));
    expect(compacted.rollout('big')).toMatchObject({ live: '2' });
    expect(sha256Hex(encodeArtifact(compacted.artifact('big', '2')))).toBe(pushed.manifest.sha256);
    expect(compacted.manifests('big').map((m) => m.version)).toEqual(['1', '2']);
    await compacted.close();

    const again = await ModelRegistry.create({ client, tenant, namespace: 'ns', actor: 'test', log: silentLogger });
    await again.retire('big', '1');
    expect(again.view.hasArtifact('big', '1')).toBe(false);
    await again.close();
    const after = await RegistryView.create(client, topic(tenant, 'ns', 'models'));
    expect([...Array(pushed.parts).keys()].some((i) => after.get(`artifact/big/1/part/${i}`) !== undefined)).toBe(false);
    expect(after.manifest('big', '1')?.retiredAtMs).toEqual(expect.any(Number));
    expect(after.hasArtifact('big', '2')).toBe(true);
    await after.close();
  });
});

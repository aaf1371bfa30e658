/**
 * `beamline model` end to end against the dev broker, through `main()`: feature schema, push with
 * a progress bar and metrics, a refused signature, shadow, canary, list, describe, rollback,
 * promote, retire and compare, with clear errors and exit codes.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../functions/control-plane.ts';
import { tfjsArtifactFromSave } from '../../functions/inference/index.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { admin, createNamespace, createTenant, deleteTenant, env, newClient, topic } from './worker-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'bl-model-cli-'));
let tenant = '';
let cliEnv: Record<string, string> = {};

/** Writes a tiny trained MLP as a TF.js layers folder (model.json + weights.bin). */
async function modelFolder(name: string, inputs: number): Promise<string> {
  await tf.ready();
  const xs = tf.randomUniform([128, inputs], 0, 1, 'float32', 3);
  const ys = tf.tidy(() =>
    xs
      .sum(1, true)
      .greater(inputs / 2)
      .toFloat(),
  );
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 4, activation: 'relu', inputShape: [inputs] }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid' }));
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  await model.fit(xs, ys, { epochs: 2, verbose: 0 });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } })),
  );
  tf.dispose([xs, ys]);
  model.dispose();
  const artifact = tfjsArtifactFromSave(saved as tf.io.ModelArtifacts);
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'model.json'), artifact.modelJson as string);
  writeFileSync(join(folder, 'weights.bin'), artifact.weights);
  return folder;
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string; json: Record<string, unknown> }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { env: cliEnv, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
  const code = await main(['model', ...argv], io);
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(out.join('\n')) as Record<string, unknown>;
  } catch {
    // text output
  }
  return { code, out: out.join('\n'), err: err.join('\n'), json };
}

let ns: string[] = [];

beforeAll(async () => {
  tenant = await createTenant('mcli');
  await createNamespace(tenant, 'ns');
  for (const t of ['models', 'audit']) await admin.topics.createNonPartitioned(topic(tenant, 'ns', t));
  cliEnv = { PULSAR_SERVICE_URL: env.serviceUrl, ...(env.token === undefined ? {} : { PULSAR_TOKEN: env.token }) };
  ns = ['-t', tenant, '-n', 'ns'];
});

afterAll(async () => {
  if (tenant !== '') await deleteTenant(tenant);
});

describe('beamline model', () => {
  it('pushes, refuses a mismatched model, and rolls out with shadow, canary, rollback, promote and retire', async () => {
    const v1 = await modelFolder('v1', 4);
    const wrong = await modelFolder('wrong', 3);
    writeFileSync(join(dir, 'validation.json'), JSON.stringify({ metrics: { auc: 0.91, precision: 0.8 } }));

    const noSchema = await run('push', v1, ...ns, '--name', 'fraud');
    expect(noSchema.code).toBe(1);
    expect(noSchema.err).toContain('BL_REGISTRY_NO_FEATURE_SCHEMA');

    expect((await run('schema', ...ns, '--features', 'x0,x1,x2,x3')).code).toBe(0);
    expect((await run('schema', ...ns, '-o', 'json')).json).toMatchObject({
      ok: true,
      schema: { features: ['x0', 'x1', 'x2', 'x3'], outputs: 1 },
    });

    const pushed = await run('push', v1, ...ns, '--name', 'fraud', '--metrics', join(dir, 'validation.json'), '--author', 'dana');
    expect(pushed.code).toBe(0);
    expect(pushed.out).toContain('pushed fraud@1 (tfjs-layers');
    expect(pushed.out).toContain('fraud: live=1');
    expect(pushed.err).toMatch(/\[#{24}\] 100% .* uploaded/);

    const refused = await run('push', wrong, ...ns, '--name', 'fraud');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('[BL_REGISTRY_SIGNATURE_MISMATCH]');
    expect(refused.err).toContain(
      'expected input [batch, 4] (x0, x1, x2, x3) and output [batch, 1], got input [batch, 3] and output [batch, 1]',
    );
    const refusedJson = await run('push', wrong, ...ns, '--name', 'fraud', '-o', 'json');
    expect(refusedJson.json).toMatchObject({
      ok: false,
      error: { code: 'BL_REGISTRY_SIGNATURE_MISMATCH', expected: { input: [4] }, actual: { input: [3] } },
    });

    const v2 = await run('push', v1, ...ns, '--name', 'fraud', '-o', 'json');
    expect(v2.json).toMatchObject({
      ok: true,
      manifest: { name: 'fraud', version: '2', format: 'tfjs-layers', signature: { input: [4], output: [1] } },
      rollout: { live: '1' },
    });
    expect((await run('push', v1, ...ns, '--name', 'fraud', '--version', '2')).err).toContain('BL_REGISTRY_VERSION_EXISTS');

    expect((await run('shadow', ...ns, '--name', 'fraud', '--version', '2')).out).toContain('live=1 shadow=2');
    const canary = await run('canary', ...ns, '--name', 'fraud', '--version', '2', '--percent', '10', '-o', 'json');
    expect(canary.json).toMatchObject({ ok: true, rollout: { live: '1', shadow: '2', canary: { version: '2', percent: 10 } } });
    expect((await run('canary', ...ns, '--name', 'fraud', '--version', '2', '--percent', '300')).code).toBe(2);

    const list = await run('list', ...ns, '-o', 'json');
    expect(list.json).toMatchObject({ models: [{ name: 'fraud', versions: ['1', '2'], rollout: { live: '1' } }] });
    const described = await run('describe', ...ns, '--name', 'fraud');
    expect(described.out).toContain('fraud: live=1 canary=2@10% shadow=2');
    expect(described.out).toMatch(/^1 +live +tfjs-layers .* dana .* auc=0.91 precision=0.8$/m);
    expect(described.out).toMatch(/^2 +canary 10%/m);

    expect((await run('rollback', ...ns, '--name', 'fraud')).out).toContain('rolled back; fraud: live=1 shadow=2');
    const nothing = await run('rollback', ...ns, '--name', 'fraud');
    expect(nothing.code).toBe(1);
    expect(nothing.err).toContain('BL_REGISTRY_NOTHING_TO_ROLL_BACK');
    expect((await run('promote', ...ns, '--name', 'fraud', '--version', '2')).out).toContain('fraud: live=2');
    expect((await run('rollback', ...ns, '--name', 'fraud')).out).toContain('fraud: live=1');
    expect((await run('retire', ...ns, '--name', 'fraud', '--version', '2')).code).toBe(0);
    const retired = await run('promote', ...ns, '--name', 'fraud', '--version', '2');
    expect(retired.code).toBe(1);
    expect(retired.err).toContain('fraud@2 is retired');
    expect((await run('promote', ...ns, '--name', 'fraud', '--version', '9')).err).toContain('fraud has no version 9 (known: 1, 2)');

    expect((await run('compare', ...ns)).out).toContain('no decisions in the audit trail yet');

    const client = newClient();
    const audit = await readAudit(client, topic(tenant, 'ns', 'audit'));
    await client.close();
    expect(audit.map((e) => `${e.type}:${'version' in e ? e.version : ''}`)).toEqual([
      'feature-schema-set:null',
      'model-pushed:1',
      'promoted:1',
      'model-pushed:2',
      'shadow-set:2',
      'canary-set:2',
      'rolled-back:1',
      'promoted:2',
      'rolled-back:1',
      'retired:2',
    ]);
    expect(audit.every((e) => e.type === 'decision' || e.actor !== '')).toBe(true);
  });

  it('explains usage: help with examples, unknown verbs, missing flags', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('examples:');
    expect(help.out).toContain('beamline model canary -t acme-payments -n central --name fraud --version 2 --percent 10');
    expect((await run('deploy', ...ns)).code).toBe(2);
    const missing = await run('promote', ...ns, '--name', 'fraud');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('missing --version');
    expect((await run('list', '-t', tenant)).err).toContain('missing --namespace');
  });
});

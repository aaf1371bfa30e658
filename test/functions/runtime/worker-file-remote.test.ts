import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/errors.ts';
import { loadWorkerFile } from '../../../functions/runtime/index.ts';

const scoring = { features: [{ name: 'x0', field: 'x0' }] };
const remote = { protocol: 'oip-rest', endpoint: 'http://127.0.0.1:8080/', model: 'fraud', signature: { input: [1], output: [1] } };

describe('worker file: a remote model (#25)', () => {
  it('compiles model.remote into a remote artifact', async () => {
    const loaded = await loadWorkerFile({ scoring, model: { remote, version: 'fraud@1' } }, '/tmp');
    expect(loaded.model).toMatchObject({
      version: 'fraud@1',
      artifact: { format: 'remote', spec: { endpoint: 'http://127.0.0.1:8080', model: 'fraud' } },
    });
  });

  it('names the field of a bad spec, and wants exactly one of path and remote', async () => {
    await expect(
      loadWorkerFile({ scoring, model: { remote: { ...remote, endpoint: 'nope' }, version: 'fraud@1' } }, '/tmp'),
    ).rejects.toThrow(/^model\.remote\.endpoint: /);
    await expect(loadWorkerFile({ scoring, model: { version: 'fraud@1' } }, '/tmp')).rejects.toThrow(ConfigError);
    await expect(loadWorkerFile({ scoring, model: { path: './m.onnx', remote, version: 'fraud@1' } }, '/tmp')).rejects.toThrow(
      /either model\.path .* or model\.remote/,
    );
  });
});

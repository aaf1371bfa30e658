import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/index.ts';
import { loadWorkerFile } from '../../../functions/control-plane.ts';

const scoring = { features: [{ name: 'amount', field: 'amount' }] };

describe('loadWorkerFile: the fields the Helm chart sets (#20)', () => {
  it('passes httpHost, drainDeadlineMs and gpu through', async () => {
    const loaded = await loadWorkerFile({ scoring, httpHost: '0.0.0.0', httpPort: 9464, drainDeadlineMs: 45_000, gpu: true }, '/');
    expect(loaded).toMatchObject({ httpHost: '0.0.0.0', httpPort: 9464, drainDeadlineMs: 45_000, gpu: true });
  });

  it('defaults gpu to false and leaves the rest to the worker options', async () => {
    expect(await loadWorkerFile({ scoring }, '/')).toMatchObject({ httpHost: undefined, drainDeadlineMs: undefined, gpu: false });
  });

  it('names the field of a wrong gpu or httpHost', async () => {
    await expect(loadWorkerFile({ scoring, gpu: 'yes' as unknown as boolean }, '/')).rejects.toThrow(ConfigError);
    await expect(loadWorkerFile({ scoring, gpu: 'yes' as unknown as boolean }, '/')).rejects.toThrow(/gpu/);
    await expect(loadWorkerFile({ scoring, httpHost: '' }, '/')).rejects.toThrow(/httpHost/);
  });
});

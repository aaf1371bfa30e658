/** `beamline model|review|actions` usage paths that need no broker: help, bad verbs, missing flags. */
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { env: {}, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('CLI usage of the #9 nouns', () => {
  it('lists model, review and actions in the overview', async () => {
    const o = (await run('--help')).out;
    for (const noun of ['model', 'review', 'actions']) expect(o).toMatch(new RegExp(`^  ${noun} `, 'm'));
  });

  it('prints help with examples and exits 0', async () => {
    for (const noun of ['model', 'review', 'actions']) {
      const r = await run(noun, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain('examples:');
    }
  });

  it('exits 2 with a clear message on usage errors, as JSON when asked', async () => {
    expect(await run('review', 'escalate', '-t', 'a', '-n', 'b')).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown verb "escalate"'),
    });
    expect(await run('review', 'approve', '-t', 'a', '-n', 'b')).toMatchObject({
      code: 2,
      err: expect.stringContaining('missing the item id'),
    });
    expect(await run('actions', '-t', 'a', '-n', 'b')).toMatchObject({ code: 2, err: expect.stringContaining('missing --webhook') });
    expect(await run('actions', '-t', 'a', '-n', 'b', '-w', 'http://x/', '--max-attempts', 'many')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--max-attempts'),
    });
    expect(await run('model', 'push', '-t', 'a', '-n', 'b', '--name', 'fraud')).toMatchObject({
      code: 2,
      err: expect.stringContaining('missing the model folder'),
    });
    expect(await run('model', 'list', '-t', 'a', '-n', 'b')).toMatchObject({ code: 2, err: expect.stringContaining('PULSAR_SERVICE_URL') });
    const json = await run('model', 'list', '-t', 'a', '-o', 'json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, error: { code: 'BL_CLI_USAGE', message: 'missing --namespace' } });
  });
});

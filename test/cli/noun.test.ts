import { describe, expect, it } from 'vitest';
import { COMMON_FLAGS, EXIT, type CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { defineNoun, type VerbContext } from '../../cli/noun.ts';
import { NOUNS } from '../../cli/nouns.ts';

function io(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: {} };
}

const seen: VerbContext[] = [];
const fruit = defineNoun({
  name: 'fruit',
  summary: 'pick and peel fruit',
  flags: { kind: { type: 'string', short: 'k', description: 'which fruit' }, ...COMMON_FLAGS },
  about: ['Fruit is picked ripe.'],
  verbs: {
    pick: {
      summary: 'pick one fruit',
      usage: 'beamline fruit pick -k KIND',
      examples: ['beamline fruit pick -k apple'],
      async run(ctx) {
        seen.push(ctx);
        if (ctx.args.flags['kind'] === undefined) throw new Error('no kind');
        return EXIT.ok;
      },
    },
    peel: { summary: 'peel one fruit', usage: 'beamline fruit peel', run: async () => EXIT.ok },
    eat: { summary: 'eat one fruit', usage: 'beamline fruit eat', run: async () => EXIT.ok },
  },
});

describe('defineNoun (#15)', () => {
  it('owns help: no verb exits 2, --help and help exit 0, VERB --help shows the verb', async () => {
    const none = io();
    expect(await fruit.run([], none)).toBe(EXIT.usage);
    expect(none.out.join('\n')).toMatch(
      /^beamline fruit: pick and peel fruit\n\nusage:\n {2}beamline fruit pick -k KIND\n {2}beamline fruit peel/,
    );
    expect(none.out.join('\n')).toMatch(/verbs:\n {2}pick {7}pick one fruit/);
    for (const word of ['--help', '-h', 'help']) {
      const a = io();
      expect(await fruit.run([word], a)).toBe(EXIT.ok);
      expect(a.out).toEqual(none.out);
    }
    const verb = io();
    expect(await fruit.run(['pick', '--help'], verb)).toBe(EXIT.ok);
    expect(verb.out.join('\n')).toMatch(
      /^beamline fruit pick: pick one fruit[\s\S]*-k, --kind <value>[\s\S]*examples:\n {2}beamline fruit pick -k apple$/,
    );
  });

  it('names the unknown verb and the fix, as JSON when asked', async () => {
    const a = io();
    expect(await fruit.run(['juice'], a)).toBe(EXIT.usage);
    expect(a.err).toEqual(['error [BL_CLI_USAGE]: unknown verb "juice"; use one of pick, peel, eat (beamline fruit --help)']);
    const b = io();
    expect(await fruit.run(['juice', '-o', 'json'], b)).toBe(EXIT.usage);
    expect(JSON.parse(b.out.join(''))).toMatchObject({ ok: false, error: { code: 'BL_CLI_USAGE' } });
  });

  it('parses flags and the output mode before the verb runs; errors come out in that mode', async () => {
    seen.length = 0;
    expect(await fruit.run(['pick', '-k', 'pear', '-o', 'json'], io())).toBe(EXIT.ok);
    expect(seen[0]).toMatchObject({ verb: 'pick', mode: 'json', args: { flags: { kind: 'pear', output: 'json' } } });
    const bad = io();
    expect(await fruit.run(['pick', '-o', 'yaml'], bad)).toBe(EXIT.usage);
    expect(bad.err.join()).toContain('--output: invalid value "yaml"; use text or json');
    const failed = io();
    expect(await fruit.run(['pick', '--output=json'], failed)).toBe(EXIT.failed);
    expect(JSON.parse(failed.out.join(''))).toMatchObject({ ok: false, error: { message: 'no kind' } });
  });

  it('generates the top-level help from every noun declaration', async () => {
    const a = io();
    expect(await main(['--help'], a)).toBe(EXIT.ok);
    const text = a.out.join('\n');
    for (const load of Object.values(NOUNS)) {
      const noun = await load();
      expect(text).toContain(`  ${noun.name.padEnd(8)} ${noun.summary}`);
      expect(Object.keys(NOUNS)).toContain(noun.name);
    }
  });
});

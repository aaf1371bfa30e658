/** `beamline completion bash|zsh` (#14): generated from the nouns' declarations, run in a real bash. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EXIT, type CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

function io(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), env: {} };
}

/** What bash's completion offers for `words` (the last one being completed), with the script sourced. */
function complete(script: string, words: readonly string[]): string[] {
  const arr = words.map((w) => `'${w}'`).join(' ');
  const cmd = `${script}\nCOMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; _beamline; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', cmd], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('beamline completion', () => {
  it('prints a bash script that completes nouns, verbs and flags as declared', async () => {
    const o = io();
    expect(await main(['completion', 'bash'], o)).toBe(EXIT.ok);
    const script = o.out.join('\n');
    expect(spawnSync('bash', ['-n', '-c', script]).status).toBe(0);
    expect(complete(script, ['beamline', 'ten'])).toEqual(['tenant']);
    expect(complete(script, ['beamline', 'tenant', 'ap'])).toEqual(['apply']);
    expect(complete(script, ['beamline', 'tenant', 'apply', '--local-c'])).toEqual(['--local-cluster']);
    expect(complete(script, ['beamline', 'worker', '--ten'])).toEqual(['--tenant']);
    expect(complete(script, ['beamline', 'completion', ''])).toEqual(['bash', 'zsh']);
    expect(complete(script, ['beamline', 'help', 'mod'])).toEqual(['model']);
  });

  it('prints the same function for zsh behind bashcompinit', async () => {
    const o = io();
    expect(await main(['completion', 'zsh'], o)).toBe(EXIT.ok);
    expect(o.out.join('\n')).toMatch(/^autoload -U \+X bashcompinit && bashcompinit\n# beamline shell completion/);
    expect(o.out.join('\n')).toContain('complete -o default -F _beamline beamline');
  });

  it('refuses a missing or unknown shell, naming it and the fix', async () => {
    const none = io();
    expect(await main(['completion'], none)).toBe(EXIT.usage);
    expect(none.err.join('\n')).toMatch(/no shell given; use beamline completion bash\|zsh/);
    const fish = io();
    expect(await main(['completion', 'fish'], fish)).toBe(EXIT.usage);
    expect(fish.err.join('\n')).toMatch(/unknown shell "fish"; use beamline completion bash\|zsh/);
  });

  it('never echoes the value of an unknown flag (it may be a secret)', async () => {
    const o = io();
    expect(await main(['token', 'issue', '--tokn=s3cr3t-value', '--role', 'x'], o)).toBe(EXIT.usage);
    const all = [...o.out, ...o.err].join('\n');
    expect(all).toMatch(/--tokn/);
    expect(all).not.toContain('s3cr3t-value');
  });
});

describe('strict positionals (#14)', () => {
  it('reads the most arguments from the usage line and names the first extra one', async () => {
    const { positionalsFromUsage } = await import('../../cli/noun.ts');
    expect(positionalsFromUsage('beamline tenant list [--admin-url URL]', 3)).toBe(0);
    expect(positionalsFromUsage('beamline review show    ID -t T -n NS                 ID: the event id', 3)).toBe(1);
    expect(positionalsFromUsage('beamline schema check <topic> <file.avsc> [--admin-url URL]', 3)).toBe(2);
    expect(positionalsFromUsage('beamline tenant delete <tenant | spec.yaml> [--confirm <tenant>] [--force]', 3)).toBe(1);
    expect(positionalsFromUsage('beamline dlq replay [ID...] -t T -n NS', 3)).toBe(Number.POSITIVE_INFINITY);
    expect(positionalsFromUsage('beamline top [-t TENANT] -m URL', 2)).toBe(0);
    expect(positionalsFromUsage(['beamline model push DIR  -t T', 'beamline model push SPEC --remote'], 3)).toBe(1);

    const list = io();
    expect(await main(['tenant', 'list', 'extra'], list)).toBe(EXIT.usage);
    expect(list.err.join('\n')).toMatch(
      /unexpected argument "extra"; beamline tenant list takes options only \(beamline tenant list --help\)/,
    );
    const token = io();
    expect(await main(['token', 'issue', '--role', 'r', 'stray', '--secret-key-file', '/nonexistent'], token)).toBe(EXIT.usage);
    expect(token.err.join('\n')).toMatch(/unexpected argument "stray"/);
    const schema = io();
    expect(await main(['schema', 'check', 'a/b/c', 'x.avsc', 'y.avsc'], schema)).toBe(EXIT.usage);
    expect(schema.err.join('\n')).toMatch(/unexpected argument "y.avsc"; beamline schema check takes at most 2 arguments/);
  });
});

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

import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkerFile } from '../../functions/control-plane.ts';
import { tokenFromFlags } from '../../cli/connect.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { parseWorkerFile } from '../../cli/worker-file.ts';

function io(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, env, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t) };
}

describe('worker files', () => {
  it('refuses an unknown key with the nearest valid one, at the top and nested', () => {
    expect(() => parseWorkerFile('handler: builtin-scoring\nregistery:\n  name: fraud\n', 'w.yaml')).toThrow(
      /registery: .*unknown key in the worker file w\.yaml; did you mean registry\?/,
    );
    expect(() => parseWorkerFile('scoring:\n  featurs: []\n', 'w.yaml')).toThrow(/scoring\.featurs: .*did you mean scoring\.features\?/);
    expect(() => parseWorkerFile('zzzzzzzzzz: 1\n', 'w.yaml')).toThrow(/the keys here are handler, guarantee/);
  });

  it('refuses an empty file and a file that is not a mapping, naming the file', () => {
    for (const text of ['', '   \n# only a comment\n'])
      expect(() => parseWorkerFile(text, 'empty.yaml')).toThrow(/--config: invalid value "empty\.yaml"; the worker file is empty/);
    expect(() => parseWorkerFile('- a\n- b\n', 'list.yaml')).toThrow(/a worker file is a YAML mapping/);
  });

  it('ships examples under tenants/examples/ that parse and load', async () => {
    const files = readdirSync('tenants/examples').filter((f) => f.endsWith('.worker.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const path = join('tenants/examples', f);
      const loaded = await loadWorkerFile(parseWorkerFile(readFileSync(path, 'utf8'), path), 'tenants/examples');
      expect(loaded.handler, f).toBeDefined();
    }
  });

  it('beamline worker names a missing flag before reading the worker file', async () => {
    const a = io();
    expect(await main(['worker', '-n', 'central', '-c', 'no-such-file.yaml'], a)).toBe(2);
    expect(a.err.join()).toContain('--tenant');
    expect(a.err.join()).not.toContain('no-such-file.yaml');
    const b = io({ PULSAR_SERVICE_URL: 'pulsar://127.0.0.1:9', PULSAR_ADMIN_URL: 'http://127.0.0.1:9' });
    const dir = mkdtempSync(join(tmpdir(), 'bl-worker-'));
    writeFileSync(join(dir, 'empty.yaml'), '');
    expect(await main(['worker', '-t', 'x', '-n', 'y', '-c', join(dir, 'empty.yaml')], b)).toBe(2);
    expect(b.err.join()).toContain('the worker file is empty');
  });
});

describe('--token-file', () => {
  it('reads the token from a file, refuses an empty file and a second token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bl-token-'));
    writeFileSync(join(dir, 't.jwt'), 'eyJ.a.b\n');
    writeFileSync(join(dir, 'empty.jwt'), '\n');
    expect(tokenFromFlags({ 'token-file': join(dir, 't.jwt') })).toBe('eyJ.a.b');
    expect(tokenFromFlags({ token: 'x' })).toBe('x');
    expect(tokenFromFlags({})).toBeUndefined();
    expect(() => tokenFromFlags({ 'token-file': join(dir, 'empty.jwt') })).toThrow(/--token-file: .*the file is empty/);
    expect(() => tokenFromFlags({ 'token-file': join(dir, 'missing.jwt') })).toThrow(/--token-file: .*readable file/);
    expect(() => tokenFromFlags({ token: 'x', 'token-file': join(dir, 't.jwt') })).toThrow(/not both/);
  });

  it('is offered by every command that takes --token, with PULSAR_TOKEN_FILE', async () => {
    for (const argv of [
      ['tenant', 'plan', '--help'],
      ['worker', '--help'],
      ['model', '--help'],
      ['review', '--help'],
      ['actions', '--help'],
    ]) {
      const a = io();
      await main(argv, a);
      expect(a.out.join('\n'), argv.join(' ')).toMatch(
        /--token-file.*PULSAR_TOKEN_FILE|PULSAR_TOKEN_FILE[\s\S]*--token-file|--token-file[\s\S]*PULSAR_TOKEN_FILE/,
      );
    }
  });
});

describe('worker file keys the runtime reads', () => {
  it('accepts every key the built-in scoring handler and the Helm chart use', () => {
    const text = [
      'handler: builtin-scoring',
      'guarantee: effectively-once',
      'scoring:',
      '  idField: eventId',
      '  emitFeatures: false',
      '  audit: true',
      '  historyMax: 64',
      '  features: [{ name: amount, field: amount }]',
      'httpHost: 0.0.0.0',
      'httpPort: 9464',
      'drainDeadlineMs: 30000',
      'gpu: false',
      'sloDecisionLatencyMs: 250',
      'standbyState: true',
    ].join('\n');
    expect(parseWorkerFile(text, 'w.yaml').scoring?.idField).toBe('eventId');
    expect(parseWorkerFile(text, 'w.yaml').standbyState).toBe(true);
  });
});

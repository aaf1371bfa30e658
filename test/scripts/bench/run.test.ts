import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/index.ts';
import { silentLogger } from '../../../functions/control-plane.ts';
import { listSuites, main, parseBenchArgs } from '../../../scripts/bench/run.ts';

describe('bench runner: arguments', () => {
  it('splits the suite name from --name value, --flag and --name=value options', () => {
    expect(parseBenchArgs(['client', '--duration-s', '10', '--skip-ours', '--rate=2000'])).toEqual({
      suite: 'client',
      options: { 'duration-s': '10', 'skip-ours': 'true', rate: '2000' },
    });
  });

  it('rejects a missing suite and stray positionals with a ConfigError', () => {
    expect(() => parseBenchArgs([])).toThrow(ConfigError);
    expect(() => parseBenchArgs(['--rate', '1'])).toThrow(ConfigError);
    expect(() => parseBenchArgs(['client', 'oops'])).toThrow(ConfigError);
  });

  it('lists the committed client suite', () => {
    expect(listSuites()).toContain('client');
  });
});

describe('bench runner: a suite that needs no broker', () => {
  let dir: string;
  const saved = { ...process.env };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'beamline-bench-test-'));
    // Were the runner to look for a broker, these are gone and it would have to start one.
    delete process.env['PULSAR_SERVICE_URL'];
    delete process.env['PULSAR_ADMIN_URL'];
  });

  afterEach(() => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs it without a broker and writes <suite>.json and <suite>.md with machine info and the rows', async () => {
    const suites = join(dir, 'suites');
    const results = join(dir, 'results');
    mkdirSync(suites);
    writeFileSync(
      join(suites, 'offline.ts'),
      `export const needsBroker = false;
export async function run(ctx) {
  return { rows: [{ case: 'a|b', ms: 1.23456, n: 42, url: ctx.serviceUrl || 'none', opt: ctx.options.size ?? '' }], notes: ['fake suite'] };
}
`,
    );
    const out = new PassThrough();
    let printed = '';
    out.on('data', (c: Buffer) => (printed += c.toString('utf8')));
    const code = await main(['offline', '--size', '7'], { suitesDir: suites, resultsDir: results, out, log: silentLogger });
    expect(code).toBe(0);

    const json = JSON.parse(readFileSync(join(results, 'offline.json'), 'utf8')) as Record<string, unknown> & {
      machine: { cpus: number; node: string; date: string };
      result: { rows: unknown[] };
    };
    expect(json['broker']).toBeNull();
    expect(json.machine.cpus).toBeGreaterThan(0);
    expect(json.machine.node).toBe(process.version);
    expect(json.result.rows).toEqual([{ case: 'a|b', ms: 1.23456, n: 42, url: 'none', opt: '7' }]);

    const md = readFileSync(join(results, 'offline.md'), 'utf8');
    expect(md).toContain('# Benchmark: offline');
    expect(md).toContain('- broker: none');
    expect(md).toContain('| case | ms | n | url | opt |');
    expect(md).toContain('| a\\|b | 1.23 | 42 | none | 7 |');
    expect(md).toContain('- fake suite');
    expect(printed).toContain('| a\\|b | 1.23 | 42 | none | 7 |');
  });

  it('names the available suites when asked for an unknown one', async () => {
    await expect(main(['nope'], { suitesDir: dir, resultsDir: dir, log: silentLogger })).rejects.toThrow(/available suites/);
  });
});

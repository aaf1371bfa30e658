import { BeamlineError } from '../functions/index.ts';
import type { FlagSpec } from './args.ts';
import { CLI_ERROR_CODES } from './errors.ts';

/** Where a command writes; tests pass buffers instead of the process streams. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Ask the person at the terminal and resolve to the line typed. Absent when nobody can answer
   * (stdin is not a terminal: scripts, CI, pipes), so a command that needs a confirmation then
   * asks for its flag instead of waiting forever.
   */
  readonly prompt?: (question: string) => Promise<string>;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  stderr: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  env: process.env,
  ...(process.stdin.isTTY === true ? { prompt: askTerminal } : {}),
};

async function askTerminal(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2 });

/** Flags every command shares. */
export const COMMON_FLAGS = {
  output: { type: 'string', short: 'o', description: 'text (default) or json' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies Record<string, FlagSpec>;

/** `-t/--tenant` and `-n/--namespace`, required by every command that works on one namespace. */
export const NAMESPACE_FLAGS = {
  tenant: { type: 'string', short: 't', description: 'tenant (required)' },
  namespace: { type: 'string', short: 'n', description: 'namespace (required)' },
} as const satisfies Readonly<Record<string, FlagSpec>>;

export const ADMIN_FLAGS = {
  'admin-url': { type: 'string', env: 'PULSAR_ADMIN_URL', description: 'Pulsar admin URL, e.g. http://127.0.0.1:8080' },
  token: { type: 'string', env: 'PULSAR_TOKEN', description: 'JWT for the admin API (never printed; prefer --token-file)' },
  'token-file': {
    type: 'string',
    env: 'PULSAR_TOKEN_FILE',
    description: 'file holding the JWT (keeps it out of argv and the environment)',
  },
  'timeout-ms': { type: 'string', description: 'per-request timeout in ms (default 30000)' },
  'ca-file': {
    type: 'string',
    env: 'PULSAR_TLS_TRUST_CERTS',
    description: 'PEM CA bundle to trust for https:// and pulsar+ssl:// (a private CA)',
  },
} as const satisfies Record<string, FlagSpec>;

export type OutputMode = 'text' | 'json';

export function outputMode(value: unknown): OutputMode {
  if (value === undefined || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new BeamlineError(CLI_ERROR_CODES.usage, `--output: invalid value ${JSON.stringify(value)}; use text or json`);
}

/** Print an error the way the user asked for, and pick the exit code. */
export function reportError(err: unknown, mode: OutputMode, io: CliIo): number {
  const usage = err instanceof BeamlineError && (err.code === CLI_ERROR_CODES.usage || err.code === CLI_ERROR_CODES.configInvalid);
  if (mode === 'json') {
    const body = err instanceof BeamlineError ? err.toJSON() : { name: 'Error', message: err instanceof Error ? err.message : String(err) };
    io.stdout(JSON.stringify({ ok: false, error: body }, null, 2));
  } else {
    const code = err instanceof BeamlineError ? ` [${err.code}]` : '';
    io.stderr(`error${code}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return usage ? EXIT.usage : EXIT.failed;
}

// Defined beside the codes so args.ts can use it without importing io.ts (no import loop).
export { usageError } from './errors.ts';

/** Whether argv asks for JSON, checked before parsing so even a parse error comes out as JSON. */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--output=json' || a === '-o=json' || ((a === '--output' || a === '-o') && argv[i + 1] === 'json'));
}

import { ConfigError } from '../functions/index.ts';
import { usageError } from './errors.ts';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** One-letter alias, e.g. `h` for `-h`. */
  readonly short?: string;
  /** Environment variable used when the flag is absent. */
  readonly env?: string;
  readonly description: string;
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
}

/**
 * Hand-rolled so the CLI stays dependency-free: `--flag value`, `--flag=value`, `-f value`,
 * boolean `--flag`, and `--` to end flags. Unknown flags fail with a suggestion.
 */
export function parseArgs(
  argv: readonly string[],
  specs: Readonly<Record<string, FlagSpec>>,
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean | undefined> = {};
  const byShort = new Map(Object.entries(specs).flatMap(([name, s]) => (s.short === undefined ? [] : [[s.short, name] as const])));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else if (/^-[a-zA-Z]$/.test(arg)) {
      name = byShort.get(arg.slice(1));
      if (name === undefined) throw new ConfigError(arg, arg, `unknown option; run with --help to list options`);
    } else {
      positionals.push(arg);
      continue;
    }
    const spec = specs[name];
    if (spec === undefined) {
      const known = Object.keys(specs);
      const close = known.find((k) => k.startsWith(name.slice(0, 3)));
      // The flag's name only: `--tokn=SECRET` must not put the secret in an error or a log.
      throw new ConfigError(
        `--${name}`,
        `--${name}`,
        `unknown option${close === undefined ? '' : `; did you mean --${close}?`} (run with --help)`,
      );
    }
    if (spec.type === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false')
        throw new ConfigError(`--${name}`, inline, 'use --flag, --flag=true or --flag=false');
      flags[name] = inline === undefined ? true : inline === 'true';
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--')))
        throw new ConfigError(`--${name}`, value, `give a value: --${name} <value>`);
      flags[name] = value;
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (flags[name] === undefined && spec.env !== undefined && env[spec.env] !== undefined && env[spec.env] !== '') {
      flags[name] = spec.type === 'boolean' ? env[spec.env] === 'true' : env[spec.env];
    }
  }
  return { positionals, flags };
}

/** Options section of a help text. */
export function formatFlags(specs: Readonly<Record<string, FlagSpec>>): string {
  return Object.entries(specs)
    .map(([name, s]) => {
      const left = `${s.short === undefined ? '    ' : `-${s.short}, `}--${name}${s.type === 'string' ? ' <value>' : ''}`;
      return `  ${left.padEnd(30)} ${s.description}${s.env === undefined ? '' : ` (env ${s.env})`}`;
    })
    .join('\n');
}

/** A required string flag (given, or from its environment variable), else a usage error naming both. */
export function requiredFlag(args: ParsedArgs, specs: Readonly<Record<string, FlagSpec>>, flag: string): string {
  const v = args.flags[flag];
  if (typeof v === 'string' && v !== '') return v;
  const env = specs[flag]?.env;
  throw usageError(`missing --${flag}${env === undefined ? '' : ` (or ${env})`}`);
}

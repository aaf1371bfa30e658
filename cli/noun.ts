/**
 * One way to declare a noun of the `beamline` CLI and its verbs (#15). A declaration owns what every
 * command used to repeat: help (`beamline NOUN`, `NOUN --help`, `NOUN help`, `NOUN VERB --help`),
 * the unknown-verb error, flag parsing and the output mode (`--output text|json`, checked before
 * parsing so even a parse error comes out as JSON), and error reporting with the exit code. The
 * top-level help and `beamline help NOUN` are generated from the same declarations.
 */
import { formatFlags, parseArgs, type FlagSpec, type ParsedArgs } from './args.ts';
import { EXIT, outputMode, reportError, usageError, wantsJson, type CliIo, type OutputMode } from './io.ts';

export type Flags = Readonly<Record<string, FlagSpec>>;

/** What a verb's `run` gets: its parsed arguments and where and how to write. */
export interface VerbContext {
  /** The verb as typed; '' for a noun without verbs (worker, actions, top). */
  readonly verb: string;
  /** The arguments after the verb, as given (before parsing). */
  readonly argv: readonly string[];
  readonly args: ParsedArgs;
  readonly io: CliIo;
  readonly mode: OutputMode;
}

export interface VerbSpec {
  readonly summary: string;
  /** The usage line(s), each a whole command line (`beamline NOUN VERB ...`). */
  readonly usage: string | readonly string[];
  readonly examples?: readonly string[];
  /** This verb's flags; default: the noun's. Each set must hold `help` (COMMON_FLAGS). */
  readonly flags?: Flags;
  /**
   * Takes out of argv what parseArgs cannot read (a repeatable flag) before it parses; the verb
   * reads it again from `argv`.
   */
  readonly preparse?: (argv: readonly string[]) => readonly string[];
  /**
   * The most positional arguments the verb takes; default: read from `usage` (the words after the
   * command up to the first option; `X...` means any number). More is a usage error naming the
   * first extra one (strict parsing).
   */
  readonly maxPositionals?: number;
  /** The exit code of a failed run, from the one reportError chose (plan --detailed-exitcode: always 1). */
  readonly errorExit?: (argv: readonly string[], code: number) => number;
  run(ctx: VerbContext): Promise<number>;
}

/**
 * How a noun's commands ask for JSON: `output` (default) is `--output/-o text|json`; `json-flag`
 * is a boolean `--json`, for a noun whose `-o` names the file it writes (features export).
 */
export type OutputStyle = 'output' | 'json-flag';

interface NounSpecBase {
  readonly name: string;
  /** One line: the top-level help's list of nouns and the first line of the noun's help. */
  readonly summary: string;
  /** Paragraph lines printed after the usage in the noun's help. */
  readonly about?: readonly string[];
  /** Flags shared by every verb (a verb may declare its own instead). */
  readonly flags?: Flags;
  readonly examples?: readonly string[];
  readonly output?: OutputStyle;
}

export interface VerbNounSpec extends NounSpecBase {
  readonly verbs: Readonly<Record<string, VerbSpec>>;
}

/** A noun that is one command (`beamline worker -t T -n NS`). */
export interface SingleNounSpec extends NounSpecBase {
  readonly command: Omit<VerbSpec, 'summary'>;
}

/** A noun that parses its own arguments (the demo keeps its own options). */
export interface RawNounSpec {
  readonly name: string;
  readonly summary: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

export type NounSpec = VerbNounSpec | SingleNounSpec | RawNounSpec;

/** What shell completion offers after `beamline NOUN`: its verbs, and each verb's flags. */
export interface NounCompletion {
  /** Verb -> its flags (`--name`, `-x`); a noun without verbs has the single key ''. */
  readonly verbs: Readonly<Record<string, readonly string[]>>;
}

/** A declared noun, as main dispatches it. */
export interface Noun {
  readonly name: string;
  readonly summary: string;
  readonly completion: NounCompletion;
  /** Resolves to the process exit code. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

const HELP_WORDS: readonly string[] = ['--help', '-h', 'help'];

function lines(x: string | readonly string[]): readonly string[] {
  return typeof x === 'string' ? [x] : x;
}

function section(title: string, body: readonly string[]): string[] {
  return body.length === 0 ? [] : ['', `${title}:`, ...body];
}

/** `a`, `a or b`, `one of a, b, c`: the verbs an unknown-verb error offers. */
function choices(names: readonly string[]): string {
  if (names.length === 1) return names[0] as string;
  if (names.length === 2) return `${names[0]} or ${names[1]}`;
  return `one of ${names.join(', ')}`;
}

function nounHelp(spec: VerbNounSpec | SingleNounSpec): string {
  const verbs = 'verbs' in spec ? Object.entries(spec.verbs) : [];
  const usage = 'verbs' in spec ? verbs.flatMap(([, v]) => lines(v.usage)) : lines(spec.command.usage);
  const flags = spec.flags ?? ('command' in spec ? spec.command.flags : undefined);
  const width = Math.max(10, ...verbs.map(([n]) => n.length + 1));
  const examples =
    spec.examples ?? ('verbs' in spec ? verbs.flatMap(([, v]) => (v.examples ?? []).slice(0, 1)) : (spec.command.examples ?? []));
  return [
    `beamline ${spec.name}: ${spec.summary}`,
    ...section(
      'usage',
      usage.map((u) => `  ${u}`),
    ),
    ...section(
      'verbs',
      verbs.map(([n, v]) => `  ${n.padEnd(width)} ${v.summary}`),
    ),
    ...(spec.about === undefined || spec.about.length === 0 ? [] : ['', ...spec.about]),
    ...section('options', flags === undefined ? [`  run beamline ${spec.name} VERB --help for a verb's options`] : [formatFlags(flags)]),
    ...section(
      'examples',
      examples.map((e) => `  ${e}`),
    ),
  ].join('\n');
}

function verbHelp(spec: VerbNounSpec, verb: string, v: VerbSpec): string {
  const own = v.examples ?? (spec.examples ?? []).filter((e) => e.includes(`beamline ${spec.name} ${verb} `));
  const examples = own.length > 0 ? own : (spec.examples ?? []);
  return [
    `beamline ${spec.name} ${verb}: ${v.summary}`,
    ...section(
      'usage',
      lines(v.usage).map((u) => `  ${u}`),
    ),
    ...(spec.about === undefined || spec.about.length === 0 ? [] : ['', ...spec.about]),
    ...section('options', [formatFlags(v.flags ?? spec.flags ?? {})]),
    ...section(
      'examples',
      examples.map((e) => `  ${e}`),
    ),
  ].join('\n');
}

/**
 * The most positionals a usage line allows: after `beamline NOUN [VERB]`, the words before the
 * first option (`-x`, `--x`, `[-x ...]`, `(--a | --b)`); one ending in `...` allows any number.
 */
export function positionalsFromUsage(usage: string | readonly string[], commandWords: number): number {
  let most = 0;
  for (const line of lines(usage)) {
    const words = line.match(/<[^>]*>(?:\.\.\.)?|\[[^\]]*\](?:\.\.\.)?|\([^)]*\)|\S+/g) ?? [];
    let n = 0;
    for (const w of words.slice(commandWords)) {
      if (/^[-([]/.test(w) && (w.startsWith('-') || w.startsWith('(') || /^\[-/.test(w))) break;
      if (w.includes('...')) return Number.POSITIVE_INFINITY;
      n++;
    }
    most = Math.max(most, n);
  }
  return most;
}

/** Parses, checks the output mode, answers --help, runs; every error is reported in the mode asked for. */
async function runVerb(
  spec: VerbNounSpec | SingleNounSpec,
  verb: string,
  v: Omit<VerbSpec, 'summary'>,
  argv: readonly string[],
  io: CliIo,
  help: () => string,
): Promise<number> {
  const jsonFlag = spec.output === 'json-flag';
  let mode: OutputMode = (jsonFlag ? argv.includes('--json') : wantsJson(argv)) ? 'json' : 'text';
  try {
    const args = parseArgs(v.preparse === undefined ? argv : v.preparse(argv), v.flags ?? spec.flags ?? {}, io.env);
    mode = jsonFlag ? (args.flags['json'] === true ? 'json' : 'text') : outputMode(args.flags['output']);
    if (args.flags['help'] === true) {
      io.stdout(help());
      return EXIT.ok;
    }
    const most = v.maxPositionals ?? positionalsFromUsage(v.usage, verb === '' ? 2 : 3);
    if (args.positionals.length > most) {
      const command = `beamline ${spec.name}${verb === '' ? '' : ` ${verb}`}`;
      throw usageError(
        `unexpected argument ${JSON.stringify(args.positionals[most])}; ${command} takes ${most === 0 ? 'options only' : `at most ${most} argument${most === 1 ? '' : 's'}`} (${command} --help)`,
      );
    }
    return await v.run({ verb, argv, args, io, mode });
  } catch (err) {
    const code = reportError(err, mode, io);
    return v.errorExit === undefined ? code : v.errorExit(argv, code);
  }
}

/** `--name` and `-x` for every flag of a set. */
function flagWords(flags: Flags | undefined): readonly string[] {
  return Object.entries(flags ?? {}).flatMap(([name, f]) => [`--${name}`, ...(f.short === undefined ? [] : [`-${f.short}`])]);
}

function completionOf(spec: VerbNounSpec | SingleNounSpec): NounCompletion {
  if ('command' in spec) return { verbs: { '': flagWords(spec.command.flags ?? spec.flags) } };
  return { verbs: Object.fromEntries(Object.entries(spec.verbs).map(([name, v]) => [name, flagWords(v.flags ?? spec.flags)])) };
}

/** Declare a noun; the result is what cli/nouns.ts lists and main dispatches. */
export function defineNoun(spec: NounSpec): Noun {
  if (!('verbs' in spec) && !('command' in spec))
    return Object.freeze({
      name: spec.name,
      summary: spec.summary,
      completion: { verbs: { '': ['--help'] } },
      run: (argv: readonly string[], io: CliIo) => spec.run(argv, io),
    });
  const help = (): string => nounHelp(spec);
  const completion = completionOf(spec);
  if ('command' in spec) {
    return Object.freeze({
      name: spec.name,
      summary: spec.summary,
      completion,
      async run(argv: readonly string[], io: CliIo): Promise<number> {
        if (argv[0] === 'help') {
          io.stdout(help());
          return EXIT.ok;
        }
        return runVerb(spec, '', spec.command, argv, io, help);
      },
    });
  }
  return Object.freeze({
    name: spec.name,
    summary: spec.summary,
    completion,
    async run(argv: readonly string[], io: CliIo): Promise<number> {
      const [verb, ...rest] = argv;
      if (verb === undefined || HELP_WORDS.includes(verb)) {
        io.stdout(help());
        return verb === undefined ? EXIT.usage : EXIT.ok;
      }
      const v = Object.hasOwn(spec.verbs, verb) ? spec.verbs[verb] : undefined;
      if (v === undefined) {
        const err = usageError(`unknown verb "${verb}"; use ${choices(Object.keys(spec.verbs))} (beamline ${spec.name} --help)`);
        return reportError(err, (spec.output === 'json-flag' ? rest.includes('--json') : wantsJson(rest)) ? 'json' : 'text', io);
      }
      return runVerb(spec, verb, v, rest, io, () => verbHelp(spec, verb, v));
    },
  });
}

/** The top-level help's list of nouns, from their declarations. */
export function nounList(nouns: readonly Noun[]): string[] {
  return nouns.map((n) => `  ${n.name.padEnd(8)} ${n.summary}`);
}

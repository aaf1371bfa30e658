import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, processIo, type CliIo } from './io.ts';
import { CLI_ERROR_CODES } from './errors.ts';
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from './completion.ts';
import { nounList } from './noun.ts';
import { NOUNS } from './nouns.ts';

/** `beamline <version> (node <version>)`: the package's own version, read once when asked. */
function versionLine(): string {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version?: string };
  return `beamline ${pkg.version ?? 'unknown'} (node ${process.versions.node})`;
}

/** Generated from the nouns' own declarations (each loaded for its summary). */
async function overview(): Promise<string> {
  const nouns = await Promise.all(Object.values(NOUNS).map((load) => load()));
  return [
    'beamline: Pulsar-native real-time AI functions',
    '',
    'usage: beamline <noun> <verb> [options]    (every command takes --help and --output json)',
    '       beamline help <noun>                 (the verbs of one noun)',
    '       beamline --version',
    '       beamline completion bash|zsh         (a shell completion script: source <(beamline completion bash))',
    '',
    'nouns:',
    ...nounList(nouns),
    '',
    'cluster address: --admin-url/--token or PULSAR_ADMIN_URL/PULSAR_TOKEN',
    '',
    'examples:',
    '  beamline tenant validate tenants/acme-payments.yaml',
    '  beamline tenant apply tenants/acme-payments.yaml --local-cluster standalone',
    '  beamline schema check acme-payments/us-east/events events-v2.avsc',
    '  beamline token issue --role acme-payments-worker --secret-key-file secret.key',
  ].join('\n');
}

/** Dispatch by noun; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [noun, ...rest] = argv;
  if (noun === '--version' || noun === '-V' || noun === 'version') {
    io.stdout(versionLine());
    return EXIT.ok;
  }
  if (noun === 'completion') {
    const shell = rest[0];
    if (shell === undefined || !(COMPLETION_SHELLS as readonly string[]).includes(shell)) {
      io.stderr(
        `error [${CLI_ERROR_CODES.usage}]: completion: ${shell === undefined ? 'no shell given' : `unknown shell "${shell}"`}; use beamline completion ${COMPLETION_SHELLS.join('|')}`,
      );
      return EXIT.usage;
    }
    const nouns = await Promise.all(Object.values(NOUNS).map((load) => load()));
    io.stdout(completionScript(shell as CompletionShell, nouns));
    return EXIT.ok;
  }
  // `help <noun>` is `<noun> --help`.
  if (noun === 'help' && rest[0] !== undefined && Object.hasOwn(NOUNS, rest[0])) return main([rest[0], '--help'], io);
  if (noun === undefined || noun === '--help' || noun === '-h' || noun === 'help') {
    io.stdout(await overview());
    return noun === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = Object.hasOwn(NOUNS, noun) ? NOUNS[noun] : undefined;
  if (load === undefined) {
    io.stderr(`error [${CLI_ERROR_CODES.usage}]: unknown command "${noun}"; use one of ${Object.keys(NOUNS).join(', ')} (beamline --help)`);
    return EXIT.usage;
  }
  return (await load()).run(rest, io);
}

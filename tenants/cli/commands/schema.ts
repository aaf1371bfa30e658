import { readFileSync } from 'node:fs';
import { ConfigError } from '../../../functions/index.ts';
import { checkTopicSchema, type SchemaCheckResult } from '../../schemas/index.ts';
import { formatFlags, parseArgs, type FlagSpec } from '../args.ts';
import { adminFromFlags } from '../connect.ts';
import { ADMIN_FLAGS, COMMON_FLAGS, EXIT, outputMode, reportError, usageError, wantsJson, type NounCommand } from '../io.ts';

const FLAGS = { ...ADMIN_FLAGS, ...COMMON_FLAGS } as const satisfies Record<string, FlagSpec>;

const HELP = [
  'beamline schema check: would the broker accept this Avro schema for the topic, and can current consumers read it?',
  '',
  'usage: beamline schema check <topic> <file.avsc> [--admin-url URL]',
  '',
  'Exits 0 when the broker would accept the schema, 1 when it would refuse it. Consumers that',
  'cannot read the new schema are reported as a warning (and in --output json).',
  '',
  'options:',
  formatFlags(FLAGS),
  '',
  'examples:',
  '  beamline schema check persistent://acme-payments/us-east/events schemas/card-authorization-v2.avsc',
  '  beamline schema check acme-payments/central/review review-v3.avsc -o json',
].join('\n');

export const schemaCommand: NounCommand = {
  noun: 'schema',
  summary: 'check schema changes against a topic before producers roll out',
  async run(argv, io) {
    const [verb, ...rest] = argv;
    if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
      io.stdout(HELP);
      return verb === undefined ? EXIT.usage : EXIT.ok;
    }
    let mode: 'text' | 'json' = wantsJson(rest) ? 'json' : 'text';
    try {
      if (verb !== 'check') throw usageError(`unknown verb "${verb}"; use: beamline schema check <topic> <file.avsc>`);
      const args = parseArgs(rest, FLAGS, io.env);
      mode = outputMode(args.flags['output']);
      if (args.flags['help'] === true) {
        io.stdout(HELP);
        return EXIT.ok;
      }
      const [topic, file] = args.positionals;
      if (topic === undefined || file === undefined) throw usageError('usage: beamline schema check <topic> <file.avsc>');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (cause) {
        throw new ConfigError('file', file, 'pass a readable .avsc file', { cause });
      }
      const result = await checkTopicSchema(adminFromFlags(args.flags), topic, text);
      io.stdout(mode === 'json' ? JSON.stringify({ ok: result.accepted, result }, null, 2) : checkText(result));
      return result.accepted ? EXIT.ok : EXIT.failed;
    } catch (err) {
      return reportError(err, mode, io);
    }
  },
};

function checkText(r: SchemaCheckResult): string {
  const lines = [
    `${r.topic}: ${r.accepted ? 'ACCEPTED' : 'REFUSED'} under ${r.strategy} (${r.existingVersions} existing version(s))`,
    'isCompatible' in r.broker ? `  broker: ${r.broker.isCompatible ? 'compatible' : 'incompatible'} (${r.broker.strategy})` : `  broker check failed: ${r.broker.error}`,
    `  local check: ${r.localCompatible ? 'compatible' : 'incompatible'}`,
  ];
  for (const v of r.versions) {
    lines.push(`  v${v.version}: new schema reads v${v.version} data: ${v.newReadsOld ? 'yes' : 'NO'}; v${v.version} consumers read new data: ${v.oldReadsNew ? 'yes' : 'NO'}${v.reason === undefined ? '' : ` (${v.reason})`}`);
  }
  if (!r.consumersCanRead) lines.push('  warning: some current consumers cannot read records written with this schema; upgrade them first');
  return lines.join('\n');
}

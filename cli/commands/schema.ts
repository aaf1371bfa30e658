import { readFileSync } from 'node:fs';
import { ConfigError } from '../../functions/index.ts';
import { checkTopicSchema, type SchemaCheckResult } from '../../tenants/schemas/index.ts';
import type { FlagSpec } from '../args.ts';
import { adminFromFlags } from '../connect.ts';
import { ADMIN_FLAGS, COMMON_FLAGS, EXIT, usageError } from '../io.ts';
import { defineNoun, type VerbContext } from '../noun.ts';

const FLAGS = { ...ADMIN_FLAGS, ...COMMON_FLAGS } as const satisfies Record<string, FlagSpec>;

export const schemaNoun = defineNoun({
  name: 'schema',
  summary: 'check a schema change against a topic before producers roll out',
  flags: FLAGS,
  about: [
    'Exits 0 when the broker would accept the schema, 1 when it would refuse it. Consumers that',
    'cannot read the new schema are reported as a warning (and in --output json).',
  ],
  verbs: {
    check: {
      summary: 'would the broker accept this Avro schema for the topic, and can current consumers read it?',
      usage: 'beamline schema check <topic> <file.avsc> [--admin-url URL]',
      examples: [
        'beamline schema check persistent://acme-payments/us-east/events schemas/card-authorization-v2.avsc',
        'beamline schema check acme-payments/central/review review-v3.avsc -o json',
      ],
      run: check,
    },
  },
});

async function check({ args, io, mode }: VerbContext): Promise<number> {
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
}

function checkText(r: SchemaCheckResult): string {
  const lines = [
    `${r.topic}: ${r.accepted ? 'ACCEPTED' : 'REFUSED'} under ${r.strategy} (${r.existingVersions} existing version(s))`,
    'isCompatible' in r.broker
      ? `  broker: ${r.broker.isCompatible ? 'compatible' : 'incompatible'} (${r.broker.strategy})`
      : `  broker check failed: ${r.broker.error}`,
    `  local check: ${r.localCompatible ? 'compatible' : 'incompatible'}`,
  ];
  for (const v of r.versions) {
    lines.push(
      `  v${v.version}: new schema reads v${v.version} data: ${v.newReadsOld ? 'yes' : 'NO'}; v${v.version} consumers read new data: ${v.oldReadsNew ? 'yes' : 'NO'}${v.reason === undefined ? '' : ` (${v.reason})`}`,
    );
  }
  if (!r.consumersCanRead) lines.push('  warning: some current consumers cannot read records written with this schema; upgrade them first');
  return lines.join('\n');
}

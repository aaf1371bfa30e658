/**
 * `beamline audit verify` (#21): reads a namespace's `audit` topic back, record by record, and
 * checks its hash chains (functions/governance/audit-chain.ts): each writer's records link to the
 * one before, in order, under a seal made with the tenant key. A removed, altered, reordered or
 * forged record is named with its message id; the exit code is 1 when there is any.
 */
import {
  auditSealOf,
  createClient,
  verifyAuditChain,
  type AuditRecordRead,
  type AuditVerifyReport,
  type PulsarClient,
} from '../../functions/control-plane.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../../functions/index.ts';
import { requiredFlag, type FlagSpec } from '../args.ts';
import { clientAuthFromFlags, CLIENT_FLAGS, KEYS_FILE_FLAG, keyringFromFlags } from '../connect.ts';
import { COMMON_FLAGS, EXIT, NAMESPACE_FLAGS } from '../io.ts';
import { defineNoun, type VerbContext } from '../noun.ts';

const FLAGS = {
  ...NAMESPACE_FLAGS,
  topic: { type: 'string', description: "verify: the topic to read (default: the namespace's audit topic), e.g. a copy kept elsewhere" },
  ...KEYS_FILE_FLAG,
  'allow-unchained': { type: 'boolean', description: 'verify: records without a chain (written before it existed) are not problems' },
  anchor: {
    type: 'string',
    description: "verify: a file of writers' heads from an earlier verify (--write-anchor or -o json): finds a cut-off tail",
  },
  'write-anchor': { type: 'string', description: "verify: save the writers' heads to this file (keep it outside the cluster)" },
  ...CLIENT_FLAGS,
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

export const auditNoun = defineNoun({
  name: 'audit',
  summary: "verify a namespace's audit trail: every record there, unaltered, in order, sealed with the tenant key",
  flags: FLAGS,
  about: [
    "Every audit record carries its writer, a sequence number, the hash of the writer's previous record",
    'and a seal (HMAC-SHA256 under a key derived from the tenant key). verify reads the whole topic and',
    'reports each record removed, altered, reordered or forged (exit 1). A cut-off tail leaves no trace',
    "inside the topic: save the writers' heads with --write-anchor FILE, keep the file elsewhere, and pass it",
    'back with --anchor FILE: a writer whose saved head is gone is reported truncated.',
  ],
  examples: [
    'beamline audit verify -t acme-payments -n central --keys-file keys.json --write-anchor audit-heads.json',
    'beamline audit verify -t acme-payments -n central --keys-file keys.json --anchor audit-heads.json',
    'beamline audit verify -t acme-payments -n central --topic persistent://acme-payments/central/audit-archive -o json',
  ],
  verbs: {
    verify: {
      summary: 'check every hash chain on the audit topic',
      usage: 'beamline audit verify -t T -n NS [--keys-file F] [--topic TOPIC] [--allow-unchained] [--anchor F] [--write-anchor F]',
      run: verify,
    },
  },
});

/** Every record of the topic from the earliest retained one, in each partition's order. */
export async function readAuditRecords(client: PulsarClient, topic: string): Promise<AuditRecordRead[]> {
  const reader = await client.createReader({ topic, startMessageId: 'earliest', receiverQueueSize: 1000 });
  const out: AuditRecordRead[] = [];
  try {
    while (await reader.hasMessageAvailable()) {
      const m = await reader.readNext(30_000);
      out.push({ messageId: m.id.toString(), partition: m.id.partition, key: m.key, payload: m.payload, properties: m.properties });
    }
  } finally {
    await reader.close();
  }
  return out;
}

async function verify({ args, io, mode }: VerbContext): Promise<number> {
  const tenant = requiredFlag(args, FLAGS, 'tenant');
  const namespace = requiredFlag(args, FLAGS, 'namespace');
  const keyring = keyringFromFlags(args.flags, io.env);
  const topic = typeof args.flags['topic'] === 'string' ? args.flags['topic'] : `persistent://${tenant}/${namespace}/audit`;
  const anchorFile = args.flags['anchor'];
  const anchors = typeof anchorFile === 'string' ? readAnchors(anchorFile) : undefined;
  const client = createClient({ serviceUrl: requiredFlag(args, FLAGS, 'service-url'), ...clientAuthFromFlags(args.flags) });
  let report: AuditVerifyReport;
  try {
    const records = await readAuditRecords(client, topic);
    report = verifyAuditChain(records, {
      ...(keyring === undefined ? {} : { keyring }),
      ...(anchors === undefined ? {} : { anchors }),
      allowUnchained: args.flags['allow-unchained'] === true,
    });
  } finally {
    await client.close();
  }
  const out = args.flags['write-anchor'];
  if (typeof out === 'string') {
    const heads = report.writers.map((w) => ({ writer: w.writer, lastSeq: w.lastSeq, lastHash: w.lastHash }));
    writeFileSync(out, `${JSON.stringify({ topic, savedAtMs: Date.now(), writers: heads }, null, 2)}\n`, { mode: 0o600 });
  }
  if (mode === 'json')
    io.stdout(JSON.stringify({ topic, sealCheckedWith: keyring === undefined ? null : auditSealOf(keyring).kind, ...report }, null, 2));
  else io.stdout(render(topic, report));
  return report.ok ? EXIT.ok : EXIT.failed;
}

type Anchor = { writer: string; lastSeq: number; lastHash: string };

/** Heads from `--write-anchor` or a `-o json` report: `{ writers: [{ writer, lastSeq, lastHash }] }`. */
function readAnchors(file: string): Anchor[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError('--anchor', file, 'give the file --write-anchor wrote (or the -o json output of a verify)', { cause });
  }
  const writers = (doc as { writers?: unknown } | null)?.writers;
  const ok = (w: unknown): w is Anchor =>
    typeof w === 'object' &&
    w !== null &&
    typeof (w as Anchor).writer === 'string' &&
    Number.isSafeInteger((w as Anchor).lastSeq) &&
    /^[0-9a-f]{64}$/.test(String((w as Anchor).lastHash));
  if (!Array.isArray(writers) || !writers.every(ok))
    throw new ConfigError(
      '--anchor',
      file,
      'the file holds no { writers: [{ writer, lastSeq, lastHash }] }; write one with --write-anchor',
    );
  return writers;
}

function render(topic: string, r: AuditVerifyReport): string {
  const lines = [`${topic}: ${r.records} record(s), ${r.writers.length} writer(s)`];
  for (const w of r.writers)
    lines.push(
      `  ${w.writer.padEnd(26)} ${String(w.records).padStart(7)} records  last #${w.lastSeq} ${w.lastHash.slice(0, 16)}  ${w.sealedWith}`,
    );
  if (r.resends > 0) lines.push(`${r.resends} record(s) written again after a failed publish (at least once): not tampering`);
  for (const p of r.problems)
    lines.push(
      `${p.kind.toUpperCase().padEnd(11)} ${p.messageId}${p.writer === undefined ? '' : ` ${p.writer}`}${p.seq === undefined ? '' : ` #${p.seq}`}: ${p.detail}`,
    );
  lines.push(r.ok ? 'ok: every chain is whole, in order and sealed' : `FAILED: ${r.problems.length} problem(s)`);
  return lines.join('\n');
}

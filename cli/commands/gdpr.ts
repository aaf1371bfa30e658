/**
 * `beamline gdpr` (#21): a data subject's rights on a namespace whose events name their data
 * subject (`dataSubject: $key` in the tenant spec): `export` (right of access: everything the
 * namespace holds about the subject, readable) and `erase` (crypto-shredding: the subject's own
 * key is destroyed, see functions/runtime/gdpr.ts).
 *
 * The subject's id (a card number, a rider id) is personal data: it is read from a file
 * (`--subject-file`, e.g. `<(printf %s "$ID")`), never from argv, where process lists and shell
 * history would keep it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  auditSealOf,
  createClient,
  eraseSubject,
  exportSubject,
  subjectPropertyKey,
  type PulsarClient,
  type TenantKeyring,
} from '../../functions/control-plane.ts';
import { ConfigError, systemClock } from '../../functions/index.ts';
import { requiredFlag, type FlagSpec } from '../args.ts';
import { actorFromFlags, adminFromFlags, clientAuthFromFlags, CLIENT_FLAGS, KEYS_FILE_FLAG, keyringFromFlags } from '../connect.ts';
import { ADMIN_FLAGS, COMMON_FLAGS, EXIT, NAMESPACE_FLAGS, usageError } from '../io.ts';
import { defineNoun, type VerbContext, type VerbSpec } from '../noun.ts';
import { userInfo } from 'node:os';

const FLAGS = {
  ...NAMESPACE_FLAGS,
  'subject-file': {
    type: 'string',
    description: "file holding the data subject's id as events key it (kept out of argv); required",
  },
  out: { type: 'string', description: 'export: write the export to this file (mode 0600) instead of stdout' },
  confirm: { type: 'string', description: 'erase: the namespace (T/NS) again: erasure cannot be undone' },
  actor: { type: 'string', description: 'who asks (audit); with a token its subject, and only that' },
  ...KEYS_FILE_FLAG,
  ...CLIENT_FLAGS,
  ...ADMIN_FLAGS,
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

const gdprVerb = (summary: string, usage: string): VerbSpec => ({ summary, usage, run: gdpr });

export const gdprNoun = defineNoun({
  name: 'gdpr',
  summary: "a data subject's export (right of access) and erasure (crypto-shredding) in a namespace",
  flags: FLAGS,
  about: [
    'Needs a namespace whose events name their data subject (tenant spec: topics.events.dataSubject: $key)',
    "and the tenant's keys. erase destroys the subject's own key and its state; what the subject left",
    'elsewhere (predictions, actions, review, audit, dead letters) stays pseudonymous and can no longer be',
    'linked back to it. The raw events backlog is not rewritten: it ends with its retention.',
  ],
  examples: [
    'beamline gdpr export -t acme-payments -n central --subject-file subject.txt --keys-file keys.json --out subject.json',
    'beamline gdpr erase -t acme-payments -n central --subject-file subject.txt --keys-file keys.json --confirm acme-payments/central',
  ],
  verbs: {
    export: gdprVerb(
      'everything the namespace holds about one subject, decrypted',
      'beamline gdpr export -t T -n NS --subject-file FILE [--out FILE]',
    ),
    erase: gdprVerb(
      "destroy one subject's key and state (cannot be undone)",
      'beamline gdpr erase  -t T -n NS --subject-file FILE --confirm T/NS',
    ),
  },
});

function subjectFrom(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('--subject-file', file, "give a readable file holding the subject's id", { cause });
  }
  // A trailing newline from `echo` is not part of the id; anything else is.
  const id = text.replace(/\r?\n$/, '');
  if (id === '' || id.includes('\n'))
    throw new ConfigError('--subject-file', file, "the file must hold exactly one id (the events' message key), on one line");
  return id;
}

/** Erasure cannot rewrite the raw input: say for how long it stays. */
function rawInputLine(minutes: number | null): string {
  if (minutes === null) return "note: the events topic's retention could not be read; the subject's raw input stays there until it ends";
  if (minutes < 0)
    return "warning: the events topic keeps acknowledged input forever (retention unlimited): the subject's raw input stays there; set a retention on events (topics.events.retention)";
  return `note: the subject's raw input stays on the events topic for up to ${minutes} min after it was processed (its retention)`;
}

async function gdpr({ verb, args, io, mode }: VerbContext): Promise<number> {
  let client: PulsarClient | undefined;
  try {
    const need = (flag: keyof typeof FLAGS): string => requiredFlag(args, FLAGS, flag);
    const tenant = need('tenant');
    const namespace = need('namespace');
    const subjectId = subjectFrom(need('subject-file'));
    const keyring: TenantKeyring | undefined = keyringFromFlags(args.flags, io.env);
    if (keyring === undefined) throw usageError('no tenant keys: pass --keys-file FILE (or set BEAMLINE_KEYS_FILE)');
    const admin = adminFromFlags(args.flags);
    const properties = await admin.namespaces.getProperties(`${tenant}/${namespace}`);
    if (properties[subjectPropertyKey('events')] === undefined) {
      throw usageError(
        `${tenant}/${namespace} names no data subject: its events are tokenized under the tenant key, which cannot be erased per subject; set topics.events.dataSubject: $key in the tenant spec and apply it`,
      );
    }
    if (verb === 'erase') {
      const target = `${tenant}/${namespace}`;
      let confirm = args.flags['confirm'];
      if (confirm === undefined && io.prompt !== undefined) {
        confirm = (
          await io.prompt(`erasing destroys the subject's key in ${target} and cannot be undone; type ${target} to erase: `)
        ).trim();
      }
      if (confirm !== target) {
        throw usageError(
          confirm === undefined
            ? `erasure cannot be undone; confirm with --confirm ${target}`
            : `--confirm names "${String(confirm)}" but the namespace is "${target}"; pass --confirm ${target}`,
        );
      }
    }
    client = createClient({ serviceUrl: need('service-url'), ...clientAuthFromFlags(args.flags) });
    const t = { client, admin, tenant, namespace, keyring, subjectId };
    if (verb === 'export') {
      const doc = await exportSubject(t);
      const text = JSON.stringify({ ok: true, tenant, namespace, ...doc }, null, 2);
      const out = args.flags['out'];
      if (typeof out === 'string') {
        writeFileSync(out, `${text}\n`, { mode: 0o600 });
        io.stdout(
          mode === 'json'
            ? JSON.stringify({ ok: true, found: doc.found, out }, null, 2)
            : doc.found
              ? `wrote the subject's data to ${out}: ${doc.state.length} state entr(ies), ${Object.values(doc.topics).reduce((n, l) => n + l.length, 0)} record(s), ${doc.deadLetters.length} dead letter(s)`
              : `the namespace holds no key for this subject; wrote an empty export to ${out}`,
        );
      } else {
        io.stdout(text);
      }
      return EXIT.ok;
    }
    const actor = actorFromFlags(args.flags, 'actor') ?? userInfo().username;
    const receipt = await eraseSubject({ ...t, actor, auditSeal: auditSealOf(keyring), clock: systemClock });
    io.stdout(
      mode === 'json'
        ? JSON.stringify({ ok: true, tenant, namespace, ...receipt }, null, 2)
        : [
            receipt.subjectKeyFound
              ? `erased: the subject's key and ${receipt.stateEntriesErased} state entr(ies) are destroyed (erasure id ${receipt.erasureId}, in the audit trail)`
              : `the namespace held no key for this subject (nothing under it to destroy); recorded as erasure ${receipt.erasureId}`,
            rawInputLine(receipt.rawEventsRetentionMinutes),
          ].join('\n'),
    );
    return EXIT.ok;
  } finally {
    await client?.close();
  }
}

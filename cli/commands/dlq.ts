/**
 * `beamline dlq`: the dead-letter topic of a namespace (#21). Records keep reason, error code and
 * ids in the clear; their content (payload, original key, properties, error text) is sealed under
 * the tenant key, so only a holder of the keys file can `show --decrypt` or `replay`.
 */
import {
  avroSchema,
  createClient,
  jsonSchema,
  openDeadLetters,
  type DeadLetterContent,
  type DeadLetterRecord,
  type PulsarClient,
  type Schema,
  type TenantKeyring,
} from '../../functions/control-plane.ts';
import { requiredFlag, type FlagSpec } from '../args.ts';
import { adminFromFlags, clientAuthFromFlags, CLIENT_FLAGS, KEYS_FILE_FLAG, keyringFromFlags } from '../connect.ts';
import { ADMIN_FLAGS, COMMON_FLAGS, EXIT, usageError, NAMESPACE_FLAGS } from '../io.ts';
import { defineNoun, type VerbContext, type VerbSpec } from '../noun.ts';

const FLAGS = {
  ...NAMESPACE_FLAGS,
  reason: { type: 'string', description: 'list/replay: only records with this reason (decode-error, late-event, ...)' },
  limit: { type: 'string', description: 'list: at most this many records, newest last (default 100)' },
  decrypt: { type: 'boolean', description: 'show: open the sealed content with the tenant keys' },
  all: { type: 'boolean', description: 'replay: every record (with --reason: every record of that reason)' },
  ...KEYS_FILE_FLAG,
  ...CLIENT_FLAGS,
  ...ADMIN_FLAGS,
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

interface Entry {
  readonly record: DeadLetterRecord;
  /** The dead-letter message's own id. */
  readonly id: string;
}

async function readDeadLetters(client: PulsarClient, topic: string): Promise<Entry[]> {
  const reader = await client.createReader({ topic, startMessageId: 'earliest', receiverQueueSize: 1000 });
  const out: Entry[] = [];
  try {
    while (await reader.hasMessageAvailable()) {
      const m = await reader.readNext(30_000);
      try {
        out.push({ record: JSON.parse(m.payload.toString('utf8')) as DeadLetterRecord, id: m.id.toString() });
      } catch {
        // Not a worker dead letter (e.g. written by hand): listed nowhere, never replayed.
      }
    }
  } finally {
    await reader.close();
  }
  return out;
}

function line(r: DeadLetterRecord): string {
  const kid = r.sealed === null ? 'no content' : `sealed ${r.sealed.kid}`;
  return `${r.messageId.padEnd(18)} ${r.reason.padEnd(22)} ${r.errorCode.padEnd(28)} ${String(r.key ?? '-').padEnd(20)} ${new Date(r.failedAtMs).toISOString()}  ${r.payloadBytes} B  ${kid}`;
}

function printable(b: Buffer): string {
  const text = b.toString('utf8');
  return /^[\x20-\x7e\t\r\n\u00a0-\uffff]*$/.test(text) && !text.includes('\ufffd') ? text : `base64:${b.toString('base64')}`;
}

/** The input topic a record came from, without a partition suffix (replays route by key again). */
function baseTopic(topic: string): string {
  return topic.replace(/-partition-\d+$/, '');
}

const dlqVerb = (summary: string, usage: string): VerbSpec => ({ summary, usage, run: dlq });

export const dlqNoun = defineNoun({
  name: 'dlq',
  summary: 'list, show (--decrypt) and replay dead-lettered inputs (content sealed under the tenant key)',
  flags: FLAGS,
  about: [
    'replay publishes the original payload, key and properties back to the input topic (with',
    "beamline.replayed-from), under the topic's current schema. --decrypt and replay need the keys.",
  ],
  examples: [
    'beamline dlq list -t acme-payments -n central --reason decode-error',
    'BEAMLINE_KEYS_FILE=keys.json beamline dlq show 12:4:0:-1 -t acme-payments -n central --decrypt',
    'beamline dlq replay --reason late-event --all -t acme-payments -n central --keys-file keys.json',
  ],
  verbs: {
    list: dlqVerb('the dead letters of a namespace, newest last', 'beamline dlq list   -t T -n NS [--reason R] [--limit 100]'),
    show: dlqVerb(
      'one dead letter; --decrypt opens its sealed content',
      'beamline dlq show   ID -t T -n NS [--decrypt]          ID: the source message id',
    ),
    replay: dlqVerb('publish dead letters back to their input topic', 'beamline dlq replay [ID...] -t T -n NS [--reason R | --all]'),
  },
});

async function dlq({ verb, args, io, mode }: VerbContext): Promise<number> {
  let client: PulsarClient | undefined;
  try {
    const need = (flag: keyof typeof FLAGS): string => requiredFlag(args, FLAGS, flag);
    const tenant = need('tenant');
    const namespace = need('namespace');
    const reason = args.flags['reason'];
    const limit = args.flags['limit'] === undefined ? 100 : Number(args.flags['limit']);
    if (!Number.isInteger(limit) || limit < 1)
      throw usageError(`--limit: invalid value "${String(args.flags['limit'])}"; use a positive whole number`);
    const keys = (): TenantKeyring => {
      const ring = keyringFromFlags(args.flags, io.env);
      if (ring === undefined) throw usageError('no tenant keys: pass --keys-file FILE (or set BEAMLINE_KEYS_FILE)');
      return ring;
    };
    client = createClient({ serviceUrl: need('service-url'), ...clientAuthFromFlags(args.flags) });
    const all = (await readDeadLetters(client, `persistent://${tenant}/${namespace}/dead-letter`)).filter(
      (e) => typeof reason !== 'string' || e.record.reason === reason,
    );

    if (verb === 'list') {
      const shown = all.slice(-limit);
      io.stdout(
        mode === 'json'
          ? JSON.stringify({ ok: true, total: all.length, records: shown.map((e) => e.record) }, null, 2)
          : [...shown.map((e) => line(e.record)), `${all.length} dead letter(s)`].join('\n'),
      );
      return EXIT.ok;
    }
    if (verb === 'show') {
      const id = args.positionals[0];
      if (id === undefined) throw usageError('missing the source message id: beamline dlq show ID -t T -n NS (ids: beamline dlq list)');
      const e = all.find((x) => x.record.messageId === id || x.id === id);
      if (e === undefined) throw usageError(`no dead letter with message id ${id} (beamline dlq list)`);
      let content: DeadLetterContent | undefined;
      if (args.flags['decrypt'] === true) [content] = await openDeadLetters({ client, tenant, namespace, keyring: keys() }, [e.record]);
      if (mode === 'json') {
        io.stdout(JSON.stringify({ ok: true, record: e.record, ...(content === undefined ? {} : { content }) }, null, 2));
      } else {
        const lines = [line(e.record), `topic ${e.record.topic}  redeliveries ${e.record.redeliveryCount}`];
        if (content !== undefined) {
          lines.push(
            `error: ${content.errorMessage}`,
            `key: ${content.key ?? '-'}`,
            `properties: ${JSON.stringify(content.properties)}`,
            `payload: ${printable(Buffer.from(content.payloadBase64, 'base64'))}`,
          );
        } else {
          lines.push('content sealed (use --decrypt with the tenant keys)');
        }
        io.stdout(lines.join('\n'));
      }
      return EXIT.ok;
    }
    // replay
    const ids = new Set(args.positionals);
    if (ids.size === 0 && args.flags['all'] !== true)
      throw usageError('say what to replay: message ids, or --all (with --reason R to narrow it)');
    const chosen = ids.size === 0 ? all : all.filter((e) => ids.has(e.record.messageId) || ids.has(e.id));
    const missing = [...ids].filter((id) => !chosen.some((e) => e.record.messageId === id || e.id === id));
    if (missing.length > 0) throw usageError(`no dead letter with message id ${missing.join(', ')} (beamline dlq list)`);
    // The bridge's source dead letters came from Pub/Sub (#24): their data is Pub/Sub's, not the
    // topic's encoding, so they go back through Pub/Sub, not straight into the topic.
    const fromPubsub = chosen.filter((e) => !e.record.topic.startsWith('persistent://') && !e.record.topic.startsWith('non-persistent://'));
    if (fromPubsub.length > 0)
      throw usageError(
        `dead letter ${fromPubsub.map((e) => e.record.messageId).join(', ')} came from Pub/Sub (${fromPubsub[0]?.record.topic}); publish it to Pub/Sub again (beamline dlq show ID --decrypt gives its data and attributes), or narrow --all with --reason`,
      );
    const contents = await openDeadLetters(
      { client, tenant, namespace, keyring: keys() },
      chosen.map((e) => e.record),
    );
    const opened = chosen.map((e, i) => ({ e, content: contents[i] as DeadLetterContent }));
    const admin = adminFromFlags(args.flags);
    const byTopic = new Map<string, typeof opened>();
    for (const o of opened) byTopic.set(baseTopic(o.e.record.topic), [...(byTopic.get(baseTopic(o.e.record.topic)) ?? []), o]);
    let replayed = 0;
    for (const [topic, list] of byTopic) {
      // The topic's current schema: a topic that enforces schemas refuses a schema-less producer.
      const info = await admin.schemas.get(topic);
      const schema =
        info?.type === 'AVRO' ? avroSchema(info.data) : info?.type === 'JSON' ? jsonSchema(JSON.parse(info.data) as object) : undefined;
      const producer = await client.createProducer({ topic, ...(schema === undefined ? {} : { schema: schema as Schema<unknown> }) });
      try {
        for (const { e, content } of list) {
          await producer.send({
            payload: Buffer.from(content.payloadBase64, 'base64'),
            ...(content.key === null ? {} : { key: content.key }),
            properties: { ...content.properties, 'beamline.replayed-from': e.record.messageId },
            ...(e.record.eventTimeMs === null ? {} : { eventTimeMs: e.record.eventTimeMs }),
          });
          replayed++;
        }
      } finally {
        await producer.close();
      }
    }
    io.stdout(mode === 'json' ? JSON.stringify({ ok: true, replayed }, null, 2) : `replayed ${replayed} dead letter(s)`);
    return EXIT.ok;
  } finally {
    await client?.close().catch(() => undefined);
  }
}

import { createClient, PulsarAdminError, type PulsarAdmin, type PulsarClient } from '../../functions/control-plane.ts';
import { ReviewQueue } from '../../review/index.ts';
import {
  buildRows,
  parsePromText,
  renderTable,
  SORT_KEYS,
  sortRows,
  type BrokerFigures,
  type Scrape,
  type TopRow,
} from '../../tenants/top/index.ts';
import type { FlagSpec } from '../args.ts';
import { adminFromFlags, caFromFlags } from '../connect.ts';
import { ADMIN_FLAGS, COMMON_FLAGS, EXIT, processIo, usageError, type CliIo } from '../io.ts';
import { defineNoun, type VerbContext } from '../noun.ts';

const FLAGS = {
  tenant: { type: 'string', short: 't', description: 'only this tenant (default: every tenant)' },
  'metrics-url': {
    type: 'string',
    short: 'm',
    env: 'BEAMLINE_METRICS_URLS',
    description: "a worker's /metrics URL; repeat it (or comma-separate) for several",
  },
  'service-url': {
    type: 'string',
    env: 'PULSAR_SERVICE_URL',
    description: 'pulsar://host:6650: count open review items by reading each review topic (else the workers report them)',
  },
  subscription: { type: 'string', description: "the workers' subscription, for backlog (default beamline-worker)" },
  sort: { type: 'string', short: 's', description: `column to sort by: ${SORT_KEYS.join(', ')} (default namespace)` },
  'interval-ms': {
    type: 'string',
    description: 'refresh period; with --once, the gap between the two scrapes (default 2000, --once 1000)',
  },
  once: { type: 'boolean', description: 'one frame, then exit (with -o json: for scripts)' },
  count: { type: 'string', description: 'exit after this many frames (default: until q or Ctrl-C)' },
  ...ADMIN_FLAGS,
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

/** `--metrics-url` may repeat; parseArgs keeps one value per flag, so the repeats are taken out first. */
function takeMetricsUrls(argv: readonly string[]): { urls: string[]; rest: string[] } {
  const urls: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--metrics-url' || a === '-m') urls.push(argv[++i] ?? '');
    else if (a.startsWith('--metrics-url=')) urls.push(a.slice('--metrics-url='.length));
    else rest.push(a);
  }
  return { urls, rest };
}

function metricsUrls(given: readonly string[], env: string | undefined): string[] {
  const urls = (given.length > 0 ? given : (env ?? '').split(',')).map((u) => u.trim()).filter((u) => u !== '' || given.length > 0);
  for (const u of urls) {
    let ok: boolean;
    try {
      ok = ['http:', 'https:'].includes(new URL(u).protocol);
    } catch {
      ok = false;
    }
    if (!ok)
      throw usageError(
        `--metrics-url: invalid value ${JSON.stringify(u)}; give a worker's metrics URL, e.g. http://127.0.0.1:9464/metrics`,
      );
  }
  return urls;
}

function positiveInt(flag: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--${flag}: invalid value ${JSON.stringify(v)}; use a positive whole number`);
  return n;
}

async function scrape(url: string, timeoutMs: number): Promise<Scrape> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { url, atMs: Date.now(), samples: null, error: `HTTP ${res.status}` };
    const text = await res.text();
    return { url, atMs: Date.now(), samples: parsePromText(text) };
  } catch (err) {
    return { url, atMs: Date.now(), samples: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Open review items per namespace: a snapshot read of each namespace's review topic. */
async function reviewDepths(client: PulsarClient, rows: readonly TopRow[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await Promise.all(
    rows.map(async (r) => {
      const q = await ReviewQueue.open({ client, tenant: r.tenant, namespace: r.namespace }).catch(() => undefined);
      if (q === undefined) return;
      out.set(`${r.tenant}/${r.namespace}`, q.stats().open);
      await q.close();
    }),
  );
  return out;
}

/** The events topic's figures of each namespace the admin API lists (of one tenant, or all). */
async function brokerFigures(admin: PulsarAdmin, tenant: string | undefined, subscription: string): Promise<Map<string, BrokerFigures>> {
  const tenants = tenant === undefined ? await admin.tenants.list() : [tenant];
  const namespaces = (await Promise.all(tenants.map((t) => admin.namespaces.list(t)))).flat();
  const out = new Map<string, BrokerFigures>();
  await Promise.all(
    namespaces.map(async (ns) => {
      try {
        const s = await admin.topics.getStats(`persistent://${ns}/events`);
        const repl = Object.values((s['replication'] ?? {}) as Record<string, { replicationBacklog?: number }>);
        out.set(ns, {
          inputPerSec: s.msgRateIn ?? null,
          backlog: s.subscriptions?.[subscription]?.msgBacklog ?? null,
          replicationBacklog: repl.length === 0 ? null : repl.reduce((a, r) => a + (r.replicationBacklog ?? 0), 0),
        });
      } catch (err) {
        // A namespace without an events topic is not a Beamline namespace: leave it out.
        if (!(err instanceof PulsarAdminError && err.status === 404)) throw err;
      }
    }),
  );
  return out;
}

interface Frame {
  readonly rows: TopRow[];
  readonly scrapes: Scrape[];
}

export const topNoun = defineNoun({
  name: 'top',
  summary: 'live view of namespaces: rate, backlog, latency, models, breaker, review, dead letters',
  flags: FLAGS,
  about: [
    "Reads the workers' /metrics and the broker's topic stats.",
    'Columns: input rate, backlog (admin API, else the worker gauge), decision latency p50/p99 and the',
    'SLO bound (publish to commit), batch fill, model versions with traffic share, breaker, review',
    'items, dead-letter rate, replication backlog. On a terminal it refreshes in place: "<" and ">"',
    'change the sort column, "q" quits.',
  ],
  command: {
    usage: 'beamline top [-t TENANT] -m http://worker:9464/metrics [-m ...] [--admin-url URL] [--sort p99] [--once -o json]',
    examples: [
      'beamline top -t acme-payments -m http://127.0.0.1:9464/metrics --admin-url http://127.0.0.1:8080',
      'beamline top --once -o json -m http://10.0.0.5:9464/metrics -m http://10.0.0.6:9464/metrics | jq .namespaces',
    ],
    preparse: (argv) => takeMetricsUrls(argv).rest,
    run: watch,
  },
});

async function watch({ argv, args, io, mode }: VerbContext): Promise<number> {
  const given = takeMetricsUrls(argv).urls;
  if (args.positionals.length > 0)
    throw usageError(`unexpected argument ${JSON.stringify(args.positionals[0])}; beamline top takes options only (beamline top --help)`);
  const urls = metricsUrls(given, io.env['BEAMLINE_METRICS_URLS']);
  const admin = typeof args.flags['admin-url'] === 'string' ? adminFromFlags(args.flags) : undefined;
  if (urls.length === 0 && admin === undefined)
    throw usageError('nothing to watch: pass --metrics-url http://worker:9464/metrics (repeatable) and/or --admin-url');
  const tenant = typeof args.flags['tenant'] === 'string' ? args.flags['tenant'] : undefined;
  const sortFlag = (args.flags['sort'] as string | undefined) ?? 'namespace';
  if (!SORT_KEYS.includes(sortFlag))
    throw usageError(`--sort: invalid value ${JSON.stringify(sortFlag)}; use one of ${SORT_KEYS.join(', ')}`);
  const once = args.flags['once'] === true;
  const intervalMs = positiveInt('interval-ms', args.flags['interval-ms'], once ? 1000 : 2000);
  const count = once ? 1 : args.flags['count'] === undefined ? Infinity : positiveInt('count', args.flags['count'], 1);
  const subscription = (args.flags['subscription'] as string | undefined) ?? 'beamline-worker';
  const timeoutMs = Math.max(1000, Math.min(10_000, intervalMs));

  const serviceUrl = args.flags['service-url'];
  const token = args.flags['token'];
  const ca = caFromFlags(args.flags); // #21
  const client =
    typeof serviceUrl === 'string'
      ? createClient({ serviceUrl, ...(typeof token === 'string' ? { token } : {}), ...(ca === undefined ? {} : { tls: { ca } }) })
      : undefined;
  let before: Scrape[] | undefined;
  const frame = async (): Promise<Frame> => {
    const [scrapes, broker] = await Promise.all([
      Promise.all(urls.map((u) => scrape(u, timeoutMs))),
      admin === undefined ? undefined : brokerFigures(admin, tenant, subscription),
    ]);
    const inputs = {
      now: scrapes,
      ...(before === undefined ? {} : { before }),
      ...(broker === undefined ? {} : { broker }),
      ...(tenant === undefined ? {} : { tenant }),
    };
    let rows = buildRows(inputs);
    if (client !== undefined) rows = buildRows({ ...inputs, reviewQueue: await reviewDepths(client, rows) });
    before = scrapes;
    return { rows, scrapes };
  };
  try {
    if (once) {
      // Two scrapes a short gap apart: rates and recent percentiles need an interval.
      await frame();
      await new Promise((r) => setTimeout(r, intervalMs));
      const f = await frame();
      const endpoints = f.scrapes.map((s) => ({
        url: s.url,
        ok: s.samples !== null,
        ...(s.error === undefined ? {} : { error: s.error }),
      }));
      if (mode === 'json')
        io.stdout(
          JSON.stringify({ ok: true, atMs: Date.now(), sort: sortFlag, namespaces: sortRows(f.rows, sortFlag), endpoints }, null, 2),
        );
      else io.stdout(renderTable(f.rows, sortFlag, statusLine(f, intervalMs)));
      return endpoints.every((e) => e.ok) ? EXIT.ok : EXIT.failed;
    }
    if (mode === 'json') throw usageError('-o json needs --once (a live view is for terminals)');
    return await live(io, frame, sortFlag, intervalMs, count);
  } finally {
    await client?.close().catch(() => undefined);
  }
}

function statusLine(f: Frame, intervalMs: number): string {
  const down = f.scrapes.filter((s) => s.samples === null);
  const ups = f.scrapes.length - down.length;
  const clock = new Date().toISOString().slice(11, 19);
  return `beamline top  ${clock} UTC  every ${intervalMs} ms  workers ${ups}/${f.scrapes.length} up${down.map((d) => `  [${d.url}: ${d.error ?? 'down'}]`).join('')}`;
}

/** Frames until q, Ctrl-C or `count`; on a terminal each frame replaces the last (alternate screen). */
async function live(io: CliIo, frame: () => Promise<Frame>, sortKey: string, intervalMs: number, count: number): Promise<number> {
  const tty = io === processIo && process.stdout.isTTY === true;
  const keys = tty && process.stdin.isTTY === true;
  let sort = sortKey;
  let stop = false;
  let wake: (() => void) | undefined;
  let last: Frame | undefined;
  const draw = (): void => {
    if (last === undefined) return;
    const table = renderTable(last.rows, sort, statusLine(last, intervalMs));
    io.stdout(tty ? `\x1b[H\x1b[2J${table}\n\n  sort: ${sort}   < > change sort   q quit` : `${table}\n`);
  };
  const onKey = (b: Buffer): void => {
    const k = b.toString();
    if (k === 'q' || k === '\u0003') stop = true;
    const i = SORT_KEYS.indexOf(sort);
    if (k === '>' || k === '.') sort = SORT_KEYS[(i + 1) % SORT_KEYS.length] ?? sort;
    if (k === '<' || k === ',') sort = SORT_KEYS[(i + SORT_KEYS.length - 1) % SORT_KEYS.length] ?? sort;
    draw();
    wake?.();
  };
  const onSignal = (): void => {
    stop = true;
    wake?.();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (tty) process.stdout.write('\x1b[?1049h\x1b[?25l');
  if (keys) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', onKey);
    process.stdin.resume();
  }
  try {
    for (let n = 0; n < count && !stop; n++) {
      last = await frame();
      draw();
      if (n + 1 < count && !stop) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, intervalMs);
        });
        clearTimeout(timer);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (keys) {
      process.stdin.off('data', onKey);
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
    // Leave the last frame on the normal screen, so it stays readable after exit.
    if (tty && last !== undefined) {
      process.stdout.write('\x1b[?25h\x1b[?1049l');
      io.stdout(renderTable(last.rows, sort, statusLine(last, intervalMs)));
    } else if (tty) process.stdout.write('\x1b[?25h\x1b[?1049l');
  }
  return EXIT.ok;
}

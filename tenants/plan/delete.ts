import { BeamlineError, systemClock, type Clock } from '../../functions/index.ts';
import { isAdminStatus, type PulsarAdmin } from '../../functions/control-plane.ts';

import { TENANTS_ERROR_CODES } from '../errors.ts';

export interface TopicBacklog {
  readonly topic: string;
  readonly subscription: string;
  readonly backlog: number;
}

/** Unconsumed messages per subscription across every topic of the tenant. */
export async function tenantBacklog(admin: PulsarAdmin, tenant: string): Promise<TopicBacklog[]> {
  const out: TopicBacklog[] = [];
  for (const ns of await admin.namespaces.list(tenant)) {
    const [partitioned, plain] = await Promise.all([admin.topics.listPartitioned(ns), admin.topics.list(ns)]);
    const stats = await Promise.all([
      ...partitioned.map(async (t) => [t, await admin.topics.getPartitionedStats(t)] as const),
      ...plain.filter((t) => !/-partition-\d+$/.test(t)).map(async (t) => [t, await admin.topics.getStats(t)] as const),
    ]);
    for (const [topic, s] of stats) {
      for (const [subscription, sub] of Object.entries(s.subscriptions ?? {})) {
        const backlog = sub.msgBacklog ?? 0;
        if (backlog > 0) out.push({ topic, subscription, backlog });
      }
    }
  }
  return out;
}

/**
 * Delete a tenant with everything in it. Refuses (`BL_TENANT_HAS_BACKLOG`) while any
 * subscription has unconsumed messages, unless `force`.
 */
export async function deleteTenant(
  admin: PulsarAdmin,
  tenant: string,
  options: { force?: boolean } = {},
): Promise<{ deleted: boolean; backlog: TopicBacklog[] }> {
  try {
    await admin.tenants.get(tenant);
  } catch (err) {
    if (isAdminStatus(err, 404)) return { deleted: false, backlog: [] };
    throw err;
  }
  const backlog = await tenantBacklog(admin, tenant);
  if (backlog.length > 0 && options.force !== true) {
    const total = backlog.reduce((n, b) => n + b.backlog, 0);
    throw new BeamlineError(
      TENANTS_ERROR_CODES.hasBacklog,
      `tenant ${tenant} has ${total} unconsumed message(s) in ${backlog.length} subscription(s) (e.g. ${backlog[0]?.topic} / ${backlog[0]?.subscription}); drain them first or pass --force to delete anyway`,
      {
        details: { tenant, backlog },
      },
    );
  }
  await deleteTenantContents(admin, tenant);
  return { deleted: true, backlog };
}

export interface DeleteRounds {
  /** Forced deletes tried before giving up. @default 5 */
  rounds?: number;
  /** Pause after the first refused round, doubling each round up to 4 s. @default 1000 */
  pauseMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

/**
 * Namespaces first, so a failure leaves a tenant that a re-run can finish deleting. A forced
 * delete races the broker's own system topics: it can answer 404 for a
 * `__transaction_buffer_snapshot` it removed meanwhile, or 422 while its own snapshot writer
 * still holds that topic (measured: three rounds within 3 s all refused, while the same delete
 * a few seconds later went through). What is already gone counts as deleted, and a refused round
 * is retried on what is left after a pause, up to `rounds` times.
 */
export async function deleteTenantContents(admin: PulsarAdmin, tenant: string, options: DeleteRounds = {}): Promise<void> {
  const rounds = options.rounds ?? 5;
  const clock = options.clock ?? systemClock;
  let pauseMs = options.pauseMs ?? 1_000;
  const pause = async (): Promise<void> => {
    await clock.sleep(pauseMs);
    pauseMs = Math.min(4_000, pauseMs * 2);
  };
  for (let round = 1; ; round++) {
    try {
      for (const ns of await admin.namespaces.list(tenant)) await goneIsFine(admin.namespaces.delete(ns, { force: true }));
      await goneIsFine(admin.tenants.delete(tenant, { force: true }));
    } catch (err) {
      if (!(await stillThere(admin, tenant))) return;
      if (round >= rounds) throw err;
      await loosenTenant(admin, tenant);
      await pause();
      continue;
    }
    if (!(await stillThere(admin, tenant))) return;
    if (round >= rounds)
      throw new BeamlineError(
        TENANTS_ERROR_CODES.deleteIncomplete,
        `tenant ${tenant} still exists after ${rounds} forced deletes; run the delete again`,
        { retriable: true, details: { tenant } },
      );
    await pause();
  }
}

/**
 * Between refused rounds: delete what is left topic by topic (each failure on its own, so the
 * namespace delete that follows has less to race), then unload the broker's per-namespace system
 * topics and the namespaces. Pulsar 4.0.7 can leave `__transaction_buffer_snapshot` fenced by a
 * delete that failed half-way, and answers every later namespace delete with 500 "Topic is
 * already fenced" while that in-memory instance lives (a clean-clone run met it in
 * tenant-cli.test.ts); unloading drops it. Best effort: every step may fail.
 */
export async function loosenTenant(admin: PulsarAdmin, tenant: string): Promise<void> {
  const quiet = async (p: () => Promise<unknown>): Promise<unknown> => {
    try {
      return await p();
    } catch {
      return undefined;
    }
  };
  const list = async (p: () => Promise<string[]>): Promise<string[]> => ((await quiet(p)) as string[] | undefined) ?? [];
  for (const ns of await list(() => admin.namespaces.list(tenant))) {
    for (const t of await list(() => admin.topics.listPartitioned(ns)))
      await quiet(() => admin.topics.deletePartitioned(t, { force: true }));
    for (const t of await list(() => admin.topics.list(ns))) await quiet(() => admin.topics.delete(t, { force: true }));
    for (const t of SYSTEM_TOPICS) await quiet(() => admin.topics.unload(`persistent://${ns}/${t}`));
    await quiet(() => admin.namespaces.unload(ns));
  }
}

/** The broker's own per-namespace topics that a forced delete races. */
const SYSTEM_TOPICS = ['__transaction_buffer_snapshot', '__change_events'] as const;

async function goneIsFine(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!isAdminStatus(err, 404)) throw err;
  }
}

async function stillThere(admin: PulsarAdmin, tenant: string): Promise<boolean> {
  try {
    await admin.tenants.get(tenant);
    return true;
  } catch (err) {
    if (isAdminStatus(err, 404)) return false;
    throw err;
  }
}

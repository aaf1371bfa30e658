import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../functions/index.ts';
import { PulsarAdminError, type PulsarAdmin } from '../../functions/control-plane.ts';

function adminError(method: string, path: string, status: number, reason: string): PulsarAdminError {
  return new PulsarAdminError(
    status === 404 ? 'BL_PULSAR_ADMIN_NOT_FOUND' : 'BL_PULSAR_ADMIN_SERVER_ERROR',
    `${method} ${path}: ${status}`,
    { method, path, status, reason },
  );
}
import { deleteTenantContents } from '../../tenants/plan/index.ts';

/** An admin whose tenant has namespaces `nss`; `refuse(call)` makes that call fail with an HTTP status. */
function fakeAdmin(nss: string[], refuse: (call: string) => number | undefined): { admin: PulsarAdmin; calls: string[] } {
  const calls: string[] = [];
  let tenantExists = true;
  const namespaces = new Set(nss);
  const fail = (call: string, path: string): void => {
    const status = refuse(call);
    if (status !== undefined) throw adminError('DELETE', path, status, 'Topic persistent://t/a/__transaction_buffer_snapshot not found');
  };
  const admin = {
    topics: {
      listPartitioned: async (ns: string) => [`persistent://${ns}/events`],
      list: async () => [],
      deletePartitioned: async (t: string) => void calls.push(`delete ${t}`),
      delete: async () => undefined,
      unload: async (t: string) => void calls.push(`unload ${t}`),
    },
    namespaces: {
      unload: async (ns: string) => void calls.push(`unload ${ns}`),
      list: async () => [...namespaces],
      delete: async (ns: string) => {
        calls.push(`ns ${ns}`);
        const call = `ns ${ns} #${calls.filter((c) => c === `ns ${ns}`).length}`;
        // Gone unless refused with anything but 404 (which says it is gone already).
        if ((refuse(call) ?? 404) === 404) namespaces.delete(ns);
        fail(call, `/admin/v2/namespaces/${ns}`);
      },
    },
    tenants: {
      get: async () => {
        if (!tenantExists) throw adminError('GET', '/admin/v2/tenants/t', 404, 'Tenant does not exist');
        return { adminRoles: [], allowedClusters: [] };
      },
      delete: async () => {
        calls.push('tenant');
        const n = calls.filter((c) => c === 'tenant').length;
        fail(`tenant #${n}`, '/admin/v2/tenants/t');
        if (namespaces.size === 0) tenantExists = false;
      },
    },
  } as unknown as PulsarAdmin;
  return { admin, calls };
}

describe('deleteTenantContents', () => {
  it('retries a tenant delete the broker answered 404 for a system topic, and succeeds', async () => {
    const { admin, calls } = fakeAdmin(['t/a', 't/b'], (c) => (c === 'tenant #1' ? 404 : undefined));
    await deleteTenantContents(admin, 't', { pauseMs: 0 });
    expect(calls).toEqual(['ns t/a', 'ns t/b', 'tenant', 'tenant']);
  });

  it('counts a namespace already gone (404) as deleted', async () => {
    const { admin, calls } = fakeAdmin(['t/a'], (c) => (c === 'ns t/a #1' ? 404 : undefined));
    await deleteTenantContents(admin, 't', { pauseMs: 0 });
    expect(calls).toEqual(['ns t/a', 'tenant']);
  });

  it('pauses before each new round, 1 s doubling: the broker lets go of its system topics meanwhile', async () => {
    // Refused (422, its own snapshot writer still on the topic) twice, then deleted.
    const { admin, calls } = fakeAdmin(['t/a'], (c) => (c === 'tenant #1' || c === 'tenant #2' ? 422 : undefined));
    const clock = new FakeClock();
    let done = false;
    const deleting = deleteTenantContents(admin, 't', { clock }).then(() => (done = true));
    await clock.advance(0);
    expect(calls).toEqual(['ns t/a', 'tenant']);
    await clock.advance(999);
    expect(calls).toHaveLength(2);
    await clock.advance(1);
    expect(calls).toEqual(['ns t/a', 'tenant', 'tenant']);
    await clock.advance(1_999);
    expect(calls).toHaveLength(3);
    await clock.advance(1);
    await deleting;
    expect(done).toBe(true);
    expect(calls).toEqual(['ns t/a', 'tenant', 'tenant', 'tenant']);
  });

  it('between refused rounds deletes topic by topic and unloads the system topics and the namespace (a fenced snapshot topic)', async () => {
    // Pulsar 4.0.7: 500 "Topic is already fenced" while a half-failed delete's instance lives.
    const { admin, calls } = fakeAdmin(['t/a'], (c) => (c === 'ns t/a #1' ? 500 : undefined));
    await deleteTenantContents(admin, 't', { pauseMs: 0 });
    expect(calls).toEqual([
      'ns t/a',
      'delete persistent://t/a/events',
      'unload persistent://t/a/__transaction_buffer_snapshot',
      'unload persistent://t/a/__change_events',
      'unload t/a',
      'ns t/a',
      'tenant',
    ]);
  });

  it('gives up after the rounds with the broker error when the tenant stays', async () => {
    const { admin } = fakeAdmin(['t/a'], (c) => (c.startsWith('tenant') ? 500 : undefined));
    await expect(deleteTenantContents(admin, 't', { rounds: 3, pauseMs: 0 })).rejects.toMatchObject({ status: 500 });
  });
});

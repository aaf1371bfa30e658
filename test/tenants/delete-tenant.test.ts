import { describe, expect, it } from 'vitest';
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
    namespaces: {
      list: async () => [...namespaces],
      delete: async (ns: string) => {
        calls.push(`ns ${ns}`);
        namespaces.delete(ns);
        fail(`ns ${ns} #${calls.filter((c) => c === `ns ${ns}`).length}`, `/admin/v2/namespaces/${ns}`);
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
    await deleteTenantContents(admin, 't');
    expect(calls).toEqual(['ns t/a', 'ns t/b', 'tenant', 'tenant']);
  });

  it('counts a namespace already gone (404) as deleted', async () => {
    const { admin, calls } = fakeAdmin(['t/a'], (c) => (c === 'ns t/a #1' ? 404 : undefined));
    await deleteTenantContents(admin, 't');
    expect(calls).toEqual(['ns t/a', 'tenant']);
  });

  it('gives up after the rounds with the broker error when the tenant stays', async () => {
    const { admin } = fakeAdmin(['t/a'], (c) => (c.startsWith('tenant') ? 500 : undefined));
    await expect(deleteTenantContents(admin, 't', 3)).rejects.toMatchObject({ status: 500 });
  });
});

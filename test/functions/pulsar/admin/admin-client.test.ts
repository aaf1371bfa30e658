import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../functions/errors.ts';
import { PULSAR_ADMIN_ERROR_CODES, PulsarAdmin, PulsarAdminError, type FetchLike } from '../../../../functions/pulsar/admin/index.ts';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function fakeFetch(respond: (call: Call) => Response | Promise<Response>): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      const call = {
        url,
        method: init.method ?? 'GET',
        headers: init.headers as Record<string, string>,
        body: init.body as string | undefined,
      };
      calls.push(call);
      return respond(call);
    },
  };
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('PulsarAdmin', () => {
  it('sends the bearer token and JSON bodies to the v2 paths', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const admin = new PulsarAdmin({ url: 'http://broker:8080/', token: 'tkn', fetch: f.fetch });
    await admin.namespaces.setBacklogQuota('t1/ns', { limitSize: 10, limitTime: -1, policy: 'producer_exception' });
    await admin.namespaces.setSchemaCompatibilityStrategy('t1/ns', 'BACKWARD_TRANSITIVE');
    await admin.topics.createPartitioned('persistent://t1/ns/events', 3);
    await admin.topics.grantPermissions('t1/ns/events', 'role a', ['consume']);
    expect(f.calls.map((c) => `${c.method} ${c.url} ${c.body ?? ''}`)).toEqual([
      'POST http://broker:8080/admin/v2/namespaces/t1/ns/backlogQuota?backlogQuotaType=destination_storage {"limitSize":10,"limitTime":-1,"policy":"producer_exception"}',
      'PUT http://broker:8080/admin/v2/namespaces/t1/ns/schemaCompatibilityStrategy "BACKWARD_TRANSITIVE"',
      'PUT http://broker:8080/admin/v2/persistent/t1/ns/events/partitions 3',
      'POST http://broker:8080/admin/v2/persistent/t1/ns/events/permissions/role%20a ["consume"]',
    ]);
    expect(f.calls.every((c) => c.headers['authorization'] === 'Bearer tkn')).toBe(true);
    expect(f.calls[0]?.headers['content-type']).toBe('application/json');
  });

  it('sends no authorization header without a token', async () => {
    const f = fakeFetch(() => json(200, ['standalone']));
    const admin = new PulsarAdmin({ url: 'http://broker:8080', fetch: f.fetch });
    expect(await admin.clusters.list()).toEqual(['standalone']);
    expect(f.calls[0]?.headers['authorization']).toBeUndefined();
  });

  it('maps HTTP failures to stable codes carrying the status and Pulsar reason', async () => {
    const cases: [number, string, boolean][] = [
      [404, PULSAR_ADMIN_ERROR_CODES.notFound, false],
      [409, PULSAR_ADMIN_ERROR_CODES.conflict, false],
      [401, PULSAR_ADMIN_ERROR_CODES.unauthorized, false],
      [403, PULSAR_ADMIN_ERROR_CODES.forbidden, false],
      [412, PULSAR_ADMIN_ERROR_CODES.preconditionFailed, false],
      [500, PULSAR_ADMIN_ERROR_CODES.server, true],
      [503, PULSAR_ADMIN_ERROR_CODES.server, true],
    ];
    for (const [status, code, retriable] of cases) {
      const f = fakeFetch(() => json(status, { reason: `reason ${status}` }));
      const err = await new PulsarAdmin({ url: 'http://b:8080', fetch: f.fetch }).tenants.get('t').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PulsarAdminError);
      const e = err as PulsarAdminError;
      expect([e.code, e.status, e.reason, e.retriable]).toEqual([code, status, `reason ${status}`, retriable]);
      expect(e.message).toBe(`Pulsar admin GET /admin/v2/tenants/t failed with HTTP ${status}: reason ${status}`);
      expect(e.toJSON()).toMatchObject({ code, status, reason: `reason ${status}`, method: 'GET' });
    }
  });

  it('keeps a non-JSON error body as the reason', async () => {
    const f = fakeFetch(() => new Response('<html>Bad Gateway</html>', { status: 502 }));
    const err = (await new PulsarAdmin({ url: 'http://b:8080', fetch: f.fetch }).brokers
      .healthCheck()
      .catch((e: unknown) => e)) as PulsarAdminError;
    expect(err.reason).toBe('<html>Bad Gateway</html>');
    expect(err.retriable).toBe(true);
  });

  it('keeps the title of a Jetty HTML error page and drops Java stack traces from reasons', async () => {
    const html = fakeFetch(
      () => new Response('<html><head><title>Error 409 Incompatible schema: &quot;R&quot;</title></head></html>', { status: 409 }),
    );
    const a = (await new PulsarAdmin({ url: 'http://b:8080', fetch: html.fetch }).tenants
      .list()
      .catch((e: unknown) => e)) as PulsarAdminError;
    expect(a.reason).toBe('Incompatible schema: "R"');
    const trace = fakeFetch(() =>
      json(500, {
        reason: '\n --- An unexpected error occurred in the server ---\n\nMessage: Boom happened\n\nStacktrace:\n\nat x.y(Z.java:1)',
      }),
    );
    const b = (await new PulsarAdmin({ url: 'http://b:8080', fetch: trace.fetch }).tenants
      .list()
      .catch((e: unknown) => e)) as PulsarAdminError;
    expect(b.reason).toBe('Boom happened');
  });

  it('reads an incompatible-schema error from the compatibility endpoint as isCompatible false', async () => {
    const f = fakeFetch(() =>
      json(500, {
        reason:
          'Error during schema compatibility check with strategy FULL: org.apache.avro.SchemaValidationException: Unable to read schema',
      }),
    );
    const r = await new PulsarAdmin({ url: 'http://b:8080', fetch: f.fetch }).schemas.checkCompatibility('t/n/x', {
      type: 'AVRO',
      data: '{}',
    });
    expect(r).toMatchObject({ isCompatible: false, schemaCompatibilityStrategy: 'FULL' });
  });

  it('turns a timeout and a refused connection into retriable errors', async () => {
    const timeout = fakeFetch(() => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    });
    const t = (await new PulsarAdmin({ url: 'http://b:8080', timeoutMs: 50, fetch: timeout.fetch }).tenants
      .list()
      .catch((e: unknown) => e)) as PulsarAdminError;
    expect([t.code, t.status, t.retriable]).toEqual([PULSAR_ADMIN_ERROR_CODES.timeout, 0, true]);
    expect(t.message).toContain('timed out after 50 ms');
    const refused = fakeFetch(() => {
      throw new TypeError('fetch failed');
    });
    const r = (await new PulsarAdmin({ url: 'http://b:8080', fetch: refused.fetch }).tenants
      .list()
      .catch((e: unknown) => e)) as PulsarAdminError;
    expect([r.code, r.retriable]).toEqual([PULSAR_ADMIN_ERROR_CODES.unreachable, true]);
  });

  it('passes an abort signal so slow requests are cut off', async () => {
    const f = fakeFetch(() => json(200, []));
    let signal: AbortSignal | undefined;
    const admin = new PulsarAdmin({
      url: 'http://b:8080',
      fetch: async (u, init) => {
        signal = init.signal ?? undefined;
        return f.fetch(u, init);
      },
    });
    await admin.tenants.list();
    expect(signal).toBeInstanceOf(AbortSignal);
  });

  it('returns null for a topic without schema and posts schemas in Pulsar payload form', async () => {
    const f = fakeFetch((c) => (c.method === 'GET' ? json(404, { reason: 'Schema not found' }) : json(200, { version: { version: 2 } })));
    const admin = new PulsarAdmin({ url: 'http://b:8080', fetch: f.fetch });
    expect(await admin.schemas.get('t/ns/x')).toBeNull();
    expect(await admin.schemas.post('t/ns/x', { type: 'AVRO', data: '{"type":"string"}' })).toEqual({ version: 2 });
    expect(JSON.parse(f.calls[1]?.body ?? '')).toEqual({ type: 'AVRO', schema: '{"type":"string"}', properties: {} });
    expect(f.calls[1]?.url).toBe('http://b:8080/admin/v2/schemas/t/ns/x/schema');
  });

  it('validates options before any request', () => {
    expect(() => new PulsarAdmin({ url: 'pulsar://b:6650' })).toThrow(ConfigError);
    expect(() => new PulsarAdmin({ url: 'not a url' })).toThrow(/admin.url: invalid value "not a url"/);
    expect(() => new PulsarAdmin({ url: 'http://b', timeoutMs: 0 })).toThrow(/admin.timeoutMs/);
    expect(new PulsarAdmin({ url: 'http://b:8080/' }).config).toMatchObject({ url: 'http://b:8080', timeoutMs: 30_000 });
  });

  it('rejects malformed topic names with a fix', async () => {
    const admin = new PulsarAdmin({ url: 'http://b:8080', fetch: fakeFetch(() => json(200, {})).fetch });
    await expect(admin.topics.getStats('just-a-name')).rejects.toThrow(/use persistent:\/\/tenant\/namespace\/topic/);
  });
});

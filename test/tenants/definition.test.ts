import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TenantSpecError, compileTenantSpec, loadTenantSpecFile, type TenantConfig } from '../../tenants/definition/index.ts';

type Doc = Record<string, unknown> & { topics: Record<string, Record<string, unknown>>; regions: Record<string, unknown>[] };
const base = parse(readFileSync('tenants/acme-payments.yaml', 'utf8')) as Doc;
const doc = (): Doc => structuredClone(base);

function problems(d: unknown): { field: string; message: string }[] {
  try {
    compileTenantSpec(d);
  } catch (err) {
    expect(err).toBeInstanceOf(TenantSpecError);
    return (err as TenantSpecError).problems.map((p) => ({ field: p.field, message: p.message }));
  }
  throw new Error('spec compiled but was expected to fail');
}

/** Exactly one problem, at `field`, whose message contains each of `parts`. */
function expectProblem(d: unknown, field: string, ...parts: string[]): void {
  const list = problems(d);
  expect(list.map((p) => p.field)).toEqual([field]);
  for (const part of parts) expect(list[0]?.message).toContain(part);
}

describe('compileTenantSpec: the examples', () => {
  it('compiles acme-payments with three namespaces of eight topics and least-privilege grants', () => {
    const c = loadTenantSpecFile('tenants/acme-payments.yaml');
    expect(c.tenant).toBe('acme-payments');
    expect(c.namespaces.map((n) => n.name)).toEqual(['acme-payments/us-east', 'acme-payments/eu-west', 'acme-payments/central']);
    const central = c.namespaces[2];
    expect(central?.replicationClusters).toEqual(['central', 'eu-west', 'us-east']);
    expect(c.clusters.map((x) => x.name)).toEqual(['us-east', 'eu-west', 'central']);
    const events = central?.topics.find((t) => t.kind === 'events');
    expect(events?.permissions).toEqual({ 'acme-payments-gateway': ['produce'], 'acme-payments-worker': ['consume'] });
    expect(events?.deduplication).toBe(false);
    const review = central?.topics.find((t) => t.kind === 'review');
    // Analysts read the queue and write their outcomes back; the worker writes items and reads
    // the topic back only for the queue's depth gauge (#22).
    expect(review?.permissions).toEqual({
      'acme-payments-analyst': ['consume', 'produce'],
      'acme-payments-worker': ['consume', 'produce'],
    });
    expect(central?.topics.find((t) => t.kind === 'state')?.compactionThresholdBytes).toBe(100 * 1024 * 1024);
    expect(central?.topics.find((t) => t.kind === 'predictions')?.deduplication).toBe(true);
    expect(central?.properties['beamline.topic.events.pii']).toBe('cardNumber,holderName');
    expect(central?.properties['beamline.topic.events.sensitivity']).toBe('restricted');
    expect(central?.compatibility).toBe('BACKWARD_TRANSITIVE');
    expect(central?.validationEnforced).toBe(true);
    const fields = (JSON.parse(events?.schema?.data ?? '{}') as { fields: { name: string }[] }).fields.map((f) => f.name);
    expect(fields).toEqual(
      expect.arrayContaining(['cardId', 'amount', 'currency', 'merchantId', 'merchantCategory', 'lat', 'lon', 'timestamp']),
    );
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('compiles ride-safety, loading the events schema from a file next to the spec', () => {
    const c = loadTenantSpecFile('tenants/ride-safety.yaml');
    expect(c.namespaces).toHaveLength(4);
    const nyc = c.namespaces[0];
    expect(nyc?.topics.find((t) => t.kind === 'events')?.partitions).toBe(16);
    expect(c.namespaces[1]?.topics.find((t) => t.kind === 'events')?.partitions).toBe(8);
    expect(nyc?.replicationClusters).toEqual(['central', 'edge-nyc']);
    expect(JSON.parse(nyc?.topics[0]?.schema?.data ?? '{}')).toMatchObject({ name: 'RideTelemetry' });
  });

  it('partitions the state topic like the events topic unless the spec says otherwise (#17)', () => {
    const c = loadTenantSpecFile('tenants/ride-safety.yaml');
    const partitionsOf = (i: number, kind: string) => c.namespaces[i]?.topics.find((t) => t.kind === kind)?.partitions;
    // ride-safety partitions state like events (8): 16 where edge-nyc repartitions events.
    expect([partitionsOf(0, 'state'), partitionsOf(0, 'events')]).toEqual([16, 16]);
    expect([partitionsOf(1, 'state'), partitionsOf(1, 'events')]).toEqual([8, 8]);
    const acme = loadTenantSpecFile('tenants/acme-payments.yaml');
    for (const ns of acme.namespaces)
      expect(ns.topics.find((t) => t.kind === 'state')?.partitions).toBe(ns.topics.find((t) => t.kind === 'events')?.partitions);
    // Unset: the events topic's count (here 6), not the spec-wide default (4).
    const d = doc();
    d.topics['events'] = { ...d.topics['events'], partitions: 6 };
    delete d.topics['state']?.['partitions'];
    expect(compileTenantSpec(d).namespaces[0]?.topics.find((t) => t.kind === 'state')?.partitions).toBe(6);
  });

  it('narrows replication per topic: edge data to central, models from central to every edge, state stays home', () => {
    const c = loadTenantSpecFile('tenants/ride-safety.yaml');
    const topic = (ns: string, kind: string) =>
      c.namespaces.find((n) => n.region === ns)?.topics.find((t) => t.kind === kind)?.replicationClusters;
    for (const kind of ['events', 'predictions', 'review', 'audit']) expect(topic('edge-nyc', kind)).toEqual(['central', 'edge-nyc']);
    for (const kind of ['state', 'actions', 'dead-letter', 'models']) expect(topic('edge-nyc', kind)).toEqual(['edge-nyc']);
    expect(topic('central', 'models')).toEqual(['central', 'edge-lon', 'edge-nyc', 'edge-sfo']);
    for (const kind of ['events', 'state', 'review']) expect(topic('central', kind)).toEqual(['central']);
    expect(c.regions.map((r) => [r.name, r.cluster, r.adminUrl])).toContainEqual([
      'central',
      'central',
      'http://central.rides.internal:8080',
    ]);
    // One local cluster: nothing to narrow.
    const local = loadTenantSpecFile('tenants/ride-safety.yaml', { localCluster: 'standalone' });
    expect(local.namespaces.flatMap((n) => n.topics.map((t) => t.replicationClusters))).toEqual(
      local.namespaces.flatMap((n) => n.topics.map(() => null)),
    );
  });

  it('de-duplicates every replicated topic by default (the replicator resends after a cut link), unless the spec says otherwise', () => {
    const c = loadTenantSpecFile('tenants/ride-safety.yaml');
    const dedup = (ns: string, kind: string, cfg: TenantConfig = c) =>
      cfg.namespaces.find((n) => n.region === ns)?.topics.find((t) => t.kind === kind)?.deduplication;
    // events is an input (not de-duplicated on one cluster), but it replicates edge -> central.
    expect(dedup('edge-nyc', 'events')).toBe(true);
    expect(dedup('central', 'models')).toBe(true);
    expect(dedup('central', 'events')).toBe(false);
    expect(dedup('edge-nyc', 'models')).toBe(false);
    const local = loadTenantSpecFile('tenants/ride-safety.yaml', { localCluster: 'standalone' });
    expect(dedup('edge-nyc', 'events', local)).toBe(false);
    const doc = parse(readFileSync('tenants/ride-safety.yaml', 'utf8')) as { topics: Record<string, Record<string, unknown>> };
    doc.topics['events'] = { ...doc.topics['events'], deduplication: false };
    expect(dedup('edge-nyc', 'events', compileTenantSpec(doc, { baseDir: 'tenants' }, 'ride-safety'))).toBe(false);
  });

  it('maps every region to one local cluster with localCluster (single dev broker)', () => {
    const c: TenantConfig = loadTenantSpecFile('tenants/acme-payments.yaml', { localCluster: 'standalone' });
    expect(c.allowedClusters).toEqual(['standalone']);
    expect(c.clusters).toEqual([]);
    expect(c.namespaces.every((n) => n.replicationClusters.join() === 'standalone')).toBe(true);
  });

  it('accepts a region whose cluster is standalone without URLs', () => {
    const d = doc();
    d.regions = [{ name: 'central', cluster: 'standalone' }];
    delete d['replication'];
    const c = compileTenantSpec(d);
    expect(c.clusters).toEqual([]);
    expect(c.allowedClusters).toEqual(['standalone']);
  });

  it('fills defaults: retention, TTL, quota, compatibility', () => {
    const d = doc();
    for (const k of ['retention', 'messageTtl', 'backlogQuota', 'schemaCompatibility', 'schemaValidationEnforced']) delete d[k];
    const ns = compileTenantSpec(d).namespaces[0];
    expect(ns?.retention).toEqual({ retentionTimeInMinutes: 7 * 24 * 60, retentionSizeInMB: 10 * 1024 });
    expect(ns?.messageTtlSeconds).toBe(3 * 86400);
    expect(ns?.backlogQuota).toEqual({ limitSize: 5 * 1024 ** 3, limitTime: -1, policy: 'producer_request_hold' });
    expect(ns?.compatibility).toBe('BACKWARD_TRANSITIVE');
    expect(ns?.validationEnforced).toBe(true);
  });
});

describe('compileTenantSpec: mistakes name the field, the value and the fix', () => {
  it('1. missing tenant', () => {
    const d = doc();
    delete d['tenant'];
    expectProblem(d, 'tenant', 'undefined', 'use a tenant name');
  });
  it('2. no central region', () => {
    const d = doc();
    d.regions = d.regions.filter((r) => r['name'] !== 'central');
    delete d['replication'];
    expectProblem(d, 'regions', 'add a region named central');
  });
  it('3. duplicate region name', () => {
    const d = doc();
    d.regions.push({ ...d.regions[0] });
    expectProblem(d, 'regions[3].name', '"us-east"', 'unique');
  });
  it('4. a required topic is missing', () => {
    const d = doc();
    delete d.topics['audit'];
    expectProblem(d, 'topics.audit', 'add the audit topic');
  });
  it('4b. the built-in labels topic may be left out: defaults, its fixed schema, analysts may write it (#23)', () => {
    const d = doc();
    delete d.topics['labels'];
    const labels = compileTenantSpec(d).namespaces[0]?.topics.find((t) => t.kind === 'labels');
    expect(labels?.name).toMatch(/\/labels$/);
    expect(JSON.parse(labels?.schema?.data ?? '{}')).toMatchObject({ name: 'Label', namespace: 'dev.beamline' });
    // A review decision writes its label with the analyst's token; nobody else but admins writes.
    const analyst = Object.entries(labels?.permissions ?? {}).filter(([, actions]) => actions.includes('produce'));
    expect(analyst).toHaveLength(1);
    expect(analyst[0]?.[1]).toEqual(['produce']);
    // Tuned like any topic; a schema of its own is refused (the records are Beamline's).
    d.topics['labels'] = { partitions: 2 };
    expect(compileTenantSpec(d).namespaces[0]?.topics.find((t) => t.kind === 'labels')?.partitions).toBe(2);
    d.topics['labels'] = { schema: { type: 'record', name: 'X', fields: [] } };
    expectProblem(d, 'topics.labels.schema', "holds Beamline's own records", 'schema is fixed');
  });
  it('4c. the built-in owners topic: partitioned like events, worker-only, never replicated, no schema (#17)', () => {
    const d = doc();
    delete d.topics['owners'];
    const ns = compileTenantSpec(d).namespaces[0];
    const owners = ns?.topics.find((t) => t.kind === 'owners');
    const events = ns?.topics.find((t) => t.kind === 'events');
    expect(owners?.partitions).toBe(events?.partitions);
    expect(owners?.schema ?? null).toBeNull();
    // Replicas fence each other through it: the worker role reads and writes it, nobody else.
    expect(Object.values(owners?.permissions ?? {})).toEqual([['consume', 'produce']]);
    d.topics['owners'] = { schema: { type: 'record', name: 'X', fields: [] } };
    expectProblem(d, 'topics.owners.schema', "holds Beamline's own records", 'schema is fixed');
  });
  it('5. an unknown topic gets a did-you-mean', () => {
    const d = doc();
    d.topics['event'] = { partitions: 1 };
    expectProblem(d, 'topics.event', '"event"', 'did you mean events?');
  });
  it('6. partitions out of range', () => {
    const d = doc();
    d.topics['events'] = { ...d.topics['events'], partitions: 0 };
    expectProblem(d, 'topics.events.partitions', 'invalid value 0', 'whole number from 1 to 1024');
  });
  it('7. a duration without a known unit', () => {
    const d = doc();
    d['retention'] = { time: '7 days', size: '20GB' };
    expectProblem(d, 'retention.time', '"7 days"', 'unit s, m, h, d or w');
  });
  it('8. a size without a unit', () => {
    const d = doc();
    d['backlogQuota'] = { size: '10', policy: 'producer_request_hold' };
    expectProblem(d, 'backlogQuota.size', '"10"', 'unit B, KB, MB, GB or TB');
  });
  it('9. compaction on a topic that must not be compacted', () => {
    const d = doc();
    d.topics['events'] = { ...d.topics['events'], compactionThreshold: '10MB' };
    expectProblem(d, 'topics.events.compactionThreshold', 'only state, models, subject-keys are compacted');
  });
  it('9b. a topic retention is checked like the namespace one, and may keep an audit trail for a bounded time (#21)', () => {
    const d = doc();
    d.topics['audit'] = { ...d.topics['audit'], retention: { time: '1 year' } };
    expectProblem(d, 'topics.audit.retention.time', '"1 year"', 'unit s, m, h, d or w');
    const ok = doc();
    ok.topics['audit'] = { ...ok.topics['audit'], retention: { time: '3650d', size: 'infinite' } };
    const audit = compileTenantSpec(ok).namespaces[0]?.topics.find((t) => t.kind === 'audit');
    expect(audit?.retention).toEqual({ retentionTimeInMinutes: 3650 * 24 * 60, retentionSizeInMB: -1 });
  });
  it('10. unknown compatibility strategy', () => {
    const d = doc();
    d['schemaCompatibility'] = 'BACKWARDS';
    expectProblem(d, 'schemaCompatibility', '"BACKWARDS"', 'BACKWARD_TRANSITIVE');
  });
  it('11. an invalid Avro schema', () => {
    const d = doc();
    const schema = structuredClone(d.topics['audit']?.['schema']) as { fields: { type: unknown }[] };
    if (schema.fields[1]) schema.fields[1].type = 'strin';
    d.topics['audit'] = { ...d.topics['audit'], schema };
    expectProblem(d, 'topics.audit.schema', 'fix the Avro schema', 'strin');
  });
  it('12. a PII field that the schema does not have', () => {
    const d = doc();
    d.topics['events'] = { ...d.topics['events'], pii: ['cardNumber', 'ssn'] };
    expectProblem(d, 'topics.events.pii[1]', '"ssn"', 'name a field of the events schema');
  });
  it('13. PII on a topic marked public', () => {
    const d = doc();
    d.topics['events'] = { ...d.topics['events'], sensitivity: 'public' };
    expectProblem(d, 'topics.events.sensitivity', '"public"', 'confidential or restricted');
  });
  it('13b. piiKey marks the message key as PII (#21); a non-boolean is refused', () => {
    const d = doc();
    d.topics['events'] = { ...d.topics['events'], piiKey: true };
    const ns = compileTenantSpec(d).namespaces[0];
    expect(ns?.properties['beamline.topic.events.pii']).toBe('cardNumber,holderName,$key');
    const e = doc();
    e.topics['events'] = { ...e.topics['events'], piiKey: 'yes' };
    expectProblem(e, 'topics.events.piiKey', '"yes"', 'use true');
  });
  it('13c. dataSubject names the message key as the data subject (#21); another field, or without piiKey, is refused', () => {
    const d = doc();
    d.topics['events'] = { ...d.topics['events'], piiKey: true, dataSubject: '$key' };
    const spec = compileTenantSpec(d);
    const ns = spec.namespaces[0];
    expect(ns?.properties['beamline.topic.events.subject']).toBe('$key');
    // Its keys topic exists, compacted, and only the worker reads and writes it.
    const keys = ns?.topics.find((t) => t.kind === 'subject-keys');
    expect(keys?.name).toMatch(/\/subject-keys$/);
    expect(
      Object.values(keys?.permissions ?? {})
        .flat()
        .sort(),
    ).toEqual(['consume', 'produce']);
    // Compacted within about a minute of new keys (before retention could trim them).
    expect(keys?.compactionThresholdBytes).toBe(1024);
    const withoutKey = doc();
    withoutKey.topics['events'] = { ...withoutKey.topics['events'], dataSubject: '$key' };
    expectProblem(withoutKey, 'topics.events.dataSubject', '"$key"', 'set piiKey: true');
    const field = doc();
    field.topics['events'] = { ...field.topics['events'], piiKey: true, dataSubject: 'cardNumber' };
    expectProblem(field, 'topics.events.dataSubject', '"cardNumber"', 'use $key');
    const elsewhere = doc();
    elsewhere.topics['predictions'] = { ...elsewhere.topics['predictions'], dataSubject: '$key' };
    expectProblem(elsewhere, 'topics.predictions.dataSubject', 'on the events topic');
  });
  it('14. a data topic without a schema', () => {
    const d = doc();
    delete d.topics['predictions']?.['schema'];
    expectProblem(d, 'topics.predictions.schema', 'Avro record schema');
  });
  it('15. replication to a region that does not exist', () => {
    const d = doc();
    d['replication'] = [{ namespace: 'central', to: ['ap-south'] }];
    expectProblem(d, 'replication[0].to[0]', '"ap-south"', 'us-east, eu-west, central');
  });
  it('16. a grant on an unknown topic', () => {
    const d = doc();
    d['grants'] = [{ role: 'analyst', consume: ['reviews'] }];
    expectProblem(d, 'grants[0].consume[0]', '"reviews"', 'did you mean review?');
  });
  it('17. a misspelt top-level key', () => {
    const d = doc();
    d['retension'] = d['retention'];
    expectProblem(d, 'retension', 'did you mean retention?');
  });
  it('18. the same role for worker and producer breaks least privilege', () => {
    const d = doc();
    d['roles'] = { worker: 'acme', producer: 'acme', analyst: 'acme-analyst' };
    expectProblem(d, 'roles.producer', '"acme"', 'least privilege');
  });
  it('19. a service URL with the wrong scheme', () => {
    const d = doc();
    d.regions[0] = { ...d.regions[0], serviceUrl: 'http://pulsar-us-east:6650' };
    expectProblem(d, 'regions[0].serviceUrl', 'pulsar://host:6650');
  });
  it('20. a backlog quota larger than retention', () => {
    const d = doc();
    d['backlogQuota'] = { size: '30GB', policy: 'producer_request_hold' };
    expectProblem(d, 'backlogQuota.size', '"30GB"', 'below retention.size');
  });
  it('21. state without compaction is refused', () => {
    const d = doc();
    d.topics['state'] = { ...d.topics['state'], compactionThreshold: '0MB' };
    expectProblem(d, 'topics.state.compactionThreshold', 'state must be compacted');
  });
  it('reports every problem at once, with the source in the message', () => {
    const d = doc();
    delete d['tenant'];
    d['schemaCompatibility'] = 'NOPE';
    d.topics['events'] = { ...d.topics['events'], partitions: -1 };
    expect(problems(d).map((p) => p.field)).toEqual(['tenant', 'schemaCompatibility', 'topics.events.partitions']);
    expect(() => compileTenantSpec(d, {}, 'x.yaml')).toThrow(/^x\.yaml: 3 problem\(s\)/);
  });
  it('refuses a spec that is not a mapping', () => {
    expect(problems('tenant: x').map((p) => p.field)).toEqual(['(root)']);
  });
});

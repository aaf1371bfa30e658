import { BeamlineError } from '../../functions/index.ts';
import { PulsarAdmin } from '../../functions/control-plane.ts';
import {
  applyAcrossRegions,
  applyTenantPlan,
  checkReplicatedSchemas,
  deleteTenant,
  diffTenant,
  formatChange,
  formatPlan,
  observeTenant,
  planAcrossRegions,
  type RegionAdmins,
} from '../../tenants/plan/index.ts';
import type { ObservedTenant } from '../../tenants/plan/index.ts';
import { loadTenantSpecFile, type TenantConfig } from '../../tenants/definition/index.ts';
import type { FlagSpec, ParsedArgs } from '../args.ts';
import { adminFromFlags, tokenFromFlags } from '../connect.ts';
import { ADMIN_FLAGS, COMMON_FLAGS, EXIT, usageError, type CliIo } from '../io.ts';
import { defineNoun, type VerbSpec } from '../noun.ts';

const SPEC_FLAGS = {
  'local-cluster': { type: 'string', env: 'BEAMLINE_LOCAL_CLUSTER', description: 'map every region to this one cluster (e.g. standalone)' },
} as const satisfies Record<string, FlagSpec>;

const DETAILED_EXITCODE_FLAG = {
  'detailed-exitcode': {
    type: 'boolean',
    description: 'exit 0 when there is nothing to change, 2 when changes are pending, 1 on any error',
  },
} as const satisfies Record<string, FlagSpec>;

/** `plan --detailed-exitcode`: changes pending (the convention of infrastructure-as-code tools). */
const EXIT_CHANGES_PENDING = 2;

/** Pulsar's own tenants: `public` (the default namespace) and `pulsar` (system namespaces). */
const PULSAR_OWN_TENANTS: readonly string[] = ['public', 'pulsar'];

const REGION_FLAGS = {
  'all-regions': {
    type: 'boolean',
    description: "talk to every region's adminUrl from the spec (geo: one plan per cluster, schema pre-flight first)",
  },
} as const satisfies Record<string, FlagSpec>;

const verbs: Readonly<Record<string, VerbSpec>> = {
  validate: {
    summary: 'check tenant specs without touching any cluster (every file given)',
    usage: 'beamline tenant validate <spec.yaml>... [--local-cluster NAME]',
    examples: [
      'beamline tenant validate tenants/acme-payments.yaml',
      'beamline tenant validate tenants/*.yaml',
      'beamline tenant validate tenants/ride-safety.yaml --output json',
    ],
    flags: { ...SPEC_FLAGS, ...COMMON_FLAGS },
    async run({ args, io, mode }) {
      const json = mode === 'json';
      specPath(args);
      if (args.positionals.length === 1) {
        const config = loadSpec(args);
        if (json) io.stdout(JSON.stringify({ ok: true, config }, null, 2));
        else validText(args.positionals[0] as string, config, io);
        return EXIT.ok;
      }
      // Every file is checked, so one run reports every broken spec, not only the first.
      const results = args.positionals.map((file) => {
        try {
          return { file, ok: true as const, config: loadSpec(args, file) };
        } catch (err) {
          if (!(err instanceof BeamlineError)) throw err;
          return { file, ok: false as const, error: err };
        }
      });
      const ok = results.every((r) => r.ok);
      if (json)
        io.stdout(
          JSON.stringify(
            {
              ok,
              files: results.map((r) =>
                r.ok ? { file: r.file, ok: true, tenant: r.config.tenant } : { file: r.file, ok: false, error: r.error.toJSON() },
              ),
            },
            null,
            2,
          ),
        );
      else {
        for (const r of results) {
          if (r.ok) validText(r.file, r.config, io);
          else io.stderr(`${r.file}: invalid [${r.error.code}]: ${r.error.message}`);
        }
        io.stdout(`${results.filter((r) => r.ok).length} of ${results.length} spec(s) valid`);
      }
      return ok ? EXIT.ok : EXIT.failed;
    },
  },
  plan: {
    summary: 'show the ordered changes apply would make',
    usage: 'beamline tenant plan <spec.yaml> [--admin-url URL] [--local-cluster NAME] [--detailed-exitcode] [--all-regions]',
    examples: [
      'beamline tenant plan tenants/acme-payments.yaml --admin-url http://127.0.0.1:8080 --local-cluster standalone',
      'PULSAR_ADMIN_URL=http://127.0.0.1:8080 beamline tenant plan tenants/acme-payments.yaml -o json',
      'beamline tenant plan tenants/acme-payments.yaml --local-cluster standalone --detailed-exitcode || echo "exit $? (2: changes pending)"',
    ],
    flags: { ...SPEC_FLAGS, ...REGION_FLAGS, ...ADMIN_FLAGS, ...DETAILED_EXITCODE_FLAG, ...COMMON_FLAGS },
    // With --detailed-exitcode, 2 means "changes pending", so every error (usage ones too) exits 1.
    errorExit: (argv, code) => (argv.includes('--detailed-exitcode') ? EXIT.failed : code),
    async run({ args, io, mode }) {
      const json = mode === 'json';
      const config = loadSpec(args);
      if (args.flags['all-regions'] === true) {
        const admins = regionAdmins(config, args.flags);
        const plans = await planAcrossRegions(config, admins);
        await checkReplicatedSchemas(config, admins);
        const ok = plans.every((p) => p.plan.blockers.length === 0);
        if (json) io.stdout(JSON.stringify({ ok, plans }, null, 2));
        else for (const p of plans) io.stdout(`cluster ${p.cluster} (${p.regions.join(', ')}):\n${formatPlan(p.plan)}`);
        if (!ok) return EXIT.failed;
        if (args.flags['detailed-exitcode'] === true && plans.some((p) => p.plan.changes.length > 0)) return EXIT_CHANGES_PENDING;
        return EXIT.ok;
      }
      const admin = adminFromFlags(args.flags);
      const plan = diffTenant(config, await observeTenant(admin, config.tenant, config));
      io.stdout(json ? JSON.stringify({ ok: plan.blockers.length === 0, plan }, null, 2) : formatPlan(plan));
      if (plan.blockers.length > 0) return EXIT.failed;
      if (args.flags['detailed-exitcode'] === true && plan.changes.length > 0) return EXIT_CHANGES_PENDING;
      return EXIT.ok;
    },
  },
  apply: {
    summary: 'make the cluster match the spec (idempotent; re-run to resume)',
    usage: 'beamline tenant apply <spec.yaml> [--admin-url URL] [--local-cluster NAME]',
    examples: [
      'beamline tenant apply tenants/acme-payments.yaml --local-cluster standalone',
      'beamline tenant apply tenants/ride-safety.yaml --admin-url https://pulsar-central:8443 --token-file /etc/beamline/token',
    ],
    flags: { ...SPEC_FLAGS, ...REGION_FLAGS, ...ADMIN_FLAGS, ...COMMON_FLAGS },
    async run({ args, io, mode }) {
      const json = mode === 'json';
      const config = loadSpec(args);
      if (args.flags['all-regions'] === true) {
        const results = await applyAcrossRegions(config, regionAdmins(config, args.flags), (cluster, c, i, total) => {
          if (!json) io.stdout(`  ${cluster}: applied ${i + 1}/${total}: ${formatChange(c)}`);
        });
        const n = results.reduce((sum, r) => sum + r.applied.length, 0);
        if (json) io.stdout(JSON.stringify({ ok: true, tenant: config.tenant, regions: results }, null, 2));
        else
          io.stdout(
            n === 0
              ? 'nothing to do in any region'
              : `applied ${n} change(s) across ${results.length} cluster(s); replicated schemas match in every region`,
          );
        return EXIT.ok;
      }
      const admin = adminFromFlags(args.flags);
      const plan = diffTenant(config, await observeTenant(admin, config.tenant, config));
      if (!json) io.stdout(formatPlan(plan));
      const result = await applyTenantPlan(admin, plan, (c, i) => {
        if (!json) io.stdout(`  applied ${i + 1}/${plan.changes.length}: ${formatChange(c)}`);
      });
      if (json) io.stdout(JSON.stringify({ ok: true, tenant: config.tenant, applied: result.applied }, null, 2));
      else io.stdout(result.applied.length === 0 ? 'nothing to do' : `applied ${result.applied.length} change(s)`);
      return EXIT.ok;
    },
  },
  describe: {
    summary: 'show what the cluster holds for a tenant',
    usage: 'beamline tenant describe <tenant> [--admin-url URL]',
    examples: ['beamline tenant describe acme-payments', 'beamline tenant describe acme-payments -o json'],
    flags: { ...ADMIN_FLAGS, ...COMMON_FLAGS },
    async run({ args, io, mode }) {
      const json = mode === 'json';
      const tenant = positional(args, 0, 'tenant name');
      const observed = await observeTenant(adminFromFlags(args.flags), tenant);
      if (observed.tenant === null) throw usageError(`tenant ${tenant} does not exist (see beamline tenant list)`);
      io.stdout(json ? JSON.stringify({ ok: true, tenant, observed }, null, 2) : describeText(tenant, observed));
      return EXIT.ok;
    },
  },
  list: {
    summary: 'list tenants on the cluster',
    usage: 'beamline tenant list [--admin-url URL]',
    examples: ['beamline tenant list', 'beamline tenant list -o json'],
    flags: { ...ADMIN_FLAGS, ...COMMON_FLAGS },
    async run({ args, io, mode }) {
      const json = mode === 'json';
      const admin = adminFromFlags(args.flags);
      const tenants = await Promise.all(
        (await admin.tenants.list()).sort().map(async (t) => ({ tenant: t, namespaces: await admin.namespaces.list(t) })),
      );
      if (json) io.stdout(JSON.stringify({ ok: true, tenants }, null, 2));
      else for (const t of tenants) io.stdout(`${t.tenant}\t${t.namespaces.length} namespace(s)`);
      return EXIT.ok;
    },
  },
  delete: {
    summary: 'delete a tenant and everything in it (refuses while backlog remains)',
    usage:
      'beamline tenant delete <tenant | spec.yaml> [--confirm <tenant>] [--force]   (at a terminal it asks for the name when --confirm is absent)',
    examples: [
      'beamline tenant delete acme-payments --confirm acme-payments',
      'beamline tenant delete tenants/acme-payments.yaml --confirm acme-payments --force',
    ],
    flags: {
      confirm: { type: 'string', description: 'the tenant name again: deleting removes every namespace, topic and message in it' },
      force: { type: 'boolean', description: 'delete even when subscriptions hold unconsumed messages' },
      ...ADMIN_FLAGS,
      ...COMMON_FLAGS,
    },
    async run({ args, io, mode }) {
      const json = mode === 'json';
      const target = positional(args, 0, 'tenant name or spec file');
      const tenant = /\.ya?ml$/.test(target) ? loadTenantSpecFile(target).tenant : target;
      if (PULSAR_OWN_TENANTS.includes(tenant))
        throw usageError(`refusing to delete tenant "${tenant}": Pulsar itself uses it (its namespaces hold the cluster's system topics)`);
      let confirm = args.flags['confirm'];
      // At a terminal, no flag: ask for the name (typing it is the confirmation, as with --confirm).
      if (confirm === undefined && io.prompt !== undefined) {
        confirm = (
          await io.prompt(`deleting tenant ${tenant} removes every namespace, topic and message in it; type the tenant name to delete it: `)
        ).trim();
        if (confirm !== tenant) throw usageError(`typed "${confirm}", not "${tenant}": nothing deleted`);
      }
      if (confirm !== tenant) {
        throw usageError(
          confirm === undefined
            ? `deleting tenant ${tenant} removes every namespace, topic and message in it; confirm with --confirm ${tenant}`
            : `--confirm names "${String(confirm)}" but the tenant to delete is "${tenant}"; pass --confirm ${tenant}`,
        );
      }
      const result = await deleteTenant(adminFromFlags(args.flags), tenant, { force: args.flags['force'] === true });
      if (json) io.stdout(JSON.stringify({ ok: true, tenant, ...result }, null, 2));
      else io.stdout(result.deleted ? `deleted tenant ${tenant}` : `tenant ${tenant} does not exist; nothing to delete`);
      return EXIT.ok;
    },
  },
};

/** One admin client per cluster, from each region's adminUrl; the token (--token or --token-file, if any) goes to all. */
function regionAdmins(config: TenantConfig, flags: ParsedArgs['flags']): RegionAdmins {
  if (config.localCluster !== null)
    throw usageError('--all-regions and --local-cluster exclude each other: --local-cluster folds every region onto one cluster');
  const token = tokenFromFlags(flags);
  const admins = new Map<string, PulsarAdmin>();
  for (const r of config.regions) {
    if (r.adminUrl === undefined)
      throw usageError(`region ${r.name} has no adminUrl in the spec; --all-regions needs one per region (regions[].adminUrl)`);
    if (!admins.has(r.cluster))
      admins.set(r.cluster, new PulsarAdmin({ url: r.adminUrl, ...(typeof token === 'string' ? { token } : {}) }));
  }
  return admins;
}

function loadSpec(args: ParsedArgs, file = specPath(args)): TenantConfig {
  const local = args.flags['local-cluster'];
  return loadTenantSpecFile(file, typeof local === 'string' ? { localCluster: local } : {});
}

function validText(file: string, config: TenantConfig, io: CliIo): void {
  const topics = config.namespaces.reduce((n, ns) => n + ns.topics.length, 0);
  io.stdout(
    `${file}: valid. tenant ${config.tenant}: ${config.namespaces.length} namespace(s), ${topics} topic(s), clusters ${config.allowedClusters.join(', ')}`,
  );
  for (const ns of config.namespaces) io.stdout(`  ${ns.name} -> replicates to ${ns.replicationClusters.join(', ')}`);
}

function specPath(args: ParsedArgs): string {
  return positional(args, 0, 'spec file (e.g. tenants/acme-payments.yaml)');
}

function positional(args: ParsedArgs, i: number, what: string): string {
  const v = args.positionals[i];
  if (v === undefined) throw usageError(`missing ${what}; run with --help for usage`);
  return v;
}

function describeText(tenant: string, o: ObservedTenant): string {
  const lines = [`tenant ${tenant}: admins ${o.tenant?.adminRoles.join(', ')}; clusters ${o.tenant?.allowedClusters.join(', ')}`];
  for (const [name, ns] of Object.entries(o.namespaces)) {
    lines.push(
      `  namespace ${name}: replication ${ns.replicationClusters.join(', ')}; compatibility ${ns.compatibility ?? 'unset'}; validation ${ns.validationEnforced ? 'enforced' : 'off'}`,
    );
    lines.push(
      `    retention ${JSON.stringify(ns.retention)}; ttl ${ns.messageTtlSeconds ?? 'unset'}s; backlog quota ${JSON.stringify(ns.backlogQuota)}`,
    );
    for (const [k, v] of Object.entries(ns.properties)) lines.push(`    property ${k}=${v}`);
    for (const [t, topic] of Object.entries(ns.topics)) {
      const grants = Object.entries(topic.permissions)
        .map(([r, a]) => `${r}:${a.join('+')}`)
        .join(' ');
      lines.push(
        `    topic ${t}: ${topic.partitions} partition(s), dedup ${topic.deduplication ?? 'inherit'}, schema ${topic.schema === null ? 'none' : `v${topic.schema.version}`}, grants ${grants || 'none'}`,
      );
    }
  }
  return lines.join('\n');
}

export const tenantNoun = defineNoun({
  name: 'tenant',
  summary: 'validate, plan, apply, describe, list and delete tenants from YAML specs',
  about: ['Manages a tenant from tenants/<tenant>.yaml like terraform plan/apply; beamline tenant VERB --help for each verb.'],
  examples: [
    'beamline tenant validate tenants/acme-payments.yaml',
    'beamline tenant plan tenants/acme-payments.yaml --local-cluster standalone',
    'beamline tenant apply --help',
  ],
  verbs,
});

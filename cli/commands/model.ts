import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import {
  auditSealOf,
  checkEvaluationGate,
  compareFromAudit,
  evaluateRegistryVersion,
  exportTrainingSet,
  qualityFromAudit,
  readAudit,
  readLabels,
  readModelPath,
  validateFeatureSchema,
  type EvaluationReport,
  type RegistryArtifact,
  type SlotQuality,
} from '../../functions/control-plane.ts';
import {
  formatCompare,
  formatDescribe,
  formatList,
  openRegistrySession,
  progressPrinter,
  readValidationMetrics,
  slotsOf,
  type RegistrySession,
} from '../../models/index.ts';
import { requiredFlag, type FlagSpec } from '../args.ts';
import { actorFromFlags, caFromFlags, CLIENT_FLAGS, KEYS_FILE_FLAG, keyringFromFlags, tokenFromFlags } from '../connect.ts';
import { COMMON_FLAGS, EXIT, usageError, type CliIo, NAMESPACE_FLAGS } from '../io.ts';
import { defineNoun, type VerbContext, type VerbSpec } from '../noun.ts';
import {
  parseShare,
  parseWindow,
  replayPii,
  REPLAY_ADMIN_FLAG,
  scoringFromWorkerFile,
  type ReplayTokenization,
  type ScoringOptions,
} from '../training-input.ts';

const FLAGS = {
  ...NAMESPACE_FLAGS,
  name: { type: 'string', description: 'model name, e.g. fraud' },
  version: { type: 'string', short: 'v', description: 'model version (push: default next number)' },
  percent: { type: 'string', short: 'p', description: 'canary: share of keys (0-100) decided by the canary' },
  clear: { type: 'boolean', description: 'shadow/canary: remove the shadow or canary' },
  metrics: { type: 'string', short: 'm', description: 'push: validation file (JSON metrics) recorded in the manifest' },
  author: {
    type: 'string',
    description: "author recorded in the manifest and audit, without auth only (with a token: the token's subject)",
  },
  'no-promote': { type: 'boolean', description: 'push: do not make the first version of a model live' },
  remote: {
    type: 'boolean',
    description: 'push: DIR is a remote model spec (YAML/JSON: Open Inference Protocol endpoint, signature, auth reference)',
  },
  'no-probe': { type: 'boolean', description: 'push --remote: store the spec without asking the server first' },
  features: { type: 'string', description: 'schema: the feature row, comma-separated names in order' },
  'worker-file': {
    type: 'string',
    short: 'c',
    description: 'evaluate, promote with floors: the worker file the namespace runs (features, policy)',
  },
  from: { type: 'string', description: 'evaluate, compare: first event time of the labelled window (ISO 8601, epoch ms, or ago: 2h)' },
  to: { type: 'string', description: 'evaluate, compare: end of the labelled window, exclusive (default: the topic end)' },
  'min-precision': { type: 'string', description: 'promote: refuse unless block precision on the labelled window is at least this (0-1)' },
  'min-recall': { type: 'string', description: 'promote: refuse unless block recall on the labelled window is at least this (0-1)' },
  outputs: { type: 'string', description: 'schema: outputs per row (default 1)' },
  ...REPLAY_ADMIN_FLAG,
  ...KEYS_FILE_FLAG,
  ...CLIENT_FLAGS,
  ...COMMON_FLAGS,
} as const satisfies Record<string, FlagSpec>;

/** The verbs runVerb knows; the declaration below must name each (satisfies). */
type Verb = 'schema' | 'push' | 'list' | 'describe' | 'promote' | 'rollback' | 'shadow' | 'canary' | 'retire' | 'compare' | 'evaluate';

const modelVerb = (summary: string, usage: string | readonly string[]): VerbSpec => ({ summary, usage, run: model });

export const modelNoun = defineNoun({
  name: 'model',
  summary: 'push models and roll them out: live, shadow, canary, rollback, compare',
  flags: FLAGS,
  about: [
    'Every change is an event on the audit topic.',
    'DIR is a TF.js layers model folder (model.json + weights) or an ONNX file. Push loads the model, scores a',
    'probe batch and refuses it unless its input/output shapes match the namespace feature schema.',
    'SPEC (--remote) names the server and the model on it, never a credential (see README, "Remote models"):',
    '  { protocol: oip-rest, endpoint: https://models:8080, model: fraud, signature: { input: [4], output: [1] },',
    '    output: { name: predict_proba, columns: [1] }, auth: { kind: secret, name: fraud-token }, calls: { maxInFlight: 4 } }',
  ],
  examples: [
    'beamline model schema -t acme-payments -n central --features amount,count_1h,sum_1h,speed_kmh',
    'beamline model push ./fraud-model -t acme-payments -n central --name fraud --metrics ./fraud-model/validation.json',
    'beamline model shadow -t acme-payments -n central --name fraud --version 2',
    'beamline model canary -t acme-payments -n central --name fraud --version 2 --percent 10',
    'beamline model compare -t acme-payments -n central -o json',
    'beamline model evaluate fraud@2 -t acme-payments -n central -c worker.yaml --from 24h',
    'beamline model promote -t acme-payments -n central --name fraud --version 2 --min-precision 0.95 --min-recall 0.9 -c worker.yaml --from 24h',
    'beamline model rollback -t acme-payments -n central --name fraud',
  ],
  verbs: {
    schema: modelVerb(
      'show or set the feature schema models must match',
      'beamline model schema    -t T -n NS [--features a,b,c [--outputs 1]]',
    ),
    push: modelVerb('push a model (or, with --remote, a model served elsewhere: MLServer, Triton, KServe)', [
      'beamline model push DIR  -t T -n NS --name NAME [--version V] [--metrics validation.json] [--no-promote]',
      'beamline model push SPEC --remote -t T -n NS --name NAME [--no-probe]',
    ]),
    list: modelVerb('models of the namespace with their versions and rollout', 'beamline model list      -t T -n NS'),
    describe: modelVerb("one model's versions and rollout", 'beamline model describe  -t T -n NS --name NAME'),
    promote: modelVerb(
      'make a version live (with floors: only if it scores well enough on labelled events)',
      'beamline model promote   -t T -n NS --name NAME --version V [--min-precision P --min-recall R -c worker.yaml --from T0 [--to T1]]',
    ),
    rollback: modelVerb('drop the canary; else return to the previous live version', 'beamline model rollback  -t T -n NS --name NAME'),
    shadow: modelVerb(
      'score a version beside live without acting on it',
      'beamline model shadow    -t T -n NS --name NAME --version V | --clear',
    ),
    canary: modelVerb(
      'let a version decide a share of keys',
      'beamline model canary    -t T -n NS --name NAME --version V --percent P | --clear',
    ),
    retire: modelVerb('remove a version no slot uses', 'beamline model retire    -t T -n NS --name NAME --version V'),
    compare: modelVerb(
      'shadow/canary against live, from the audit trail (+ labels)',
      'beamline model compare   -t T -n NS [--name NAME] [--from T0] [--to T1]',
    ),
    evaluate: modelVerb(
      'precision, recall, honest blocked and latency of a version on labelled events',
      'beamline model evaluate  NAME@VERSION -t T -n NS -c worker.yaml [--from T0] [--to T1]',
    ),
  } satisfies Record<Verb, VerbSpec>,
});

async function model({ verb, args, io, mode }: VerbContext): Promise<number> {
  let session: RegistrySession | undefined;
  try {
    const need = (flag: keyof typeof FLAGS): string => requiredFlag(args, FLAGS, flag);
    const tenant = need('tenant');
    const namespace = need('namespace');
    const token = tokenFromFlags(args.flags);
    const author = actorFromFlags(args.flags, 'author');
    // Validate local inputs before connecting, so a typo fails fast.
    const dir = verb === 'push' || verb === 'evaluate' ? args.positionals[0] : undefined;
    if (verb === 'push' && dir === undefined)
      throw usageError('missing the model folder or .onnx file: beamline model push DIR --name NAME');
    if (verb === 'evaluate' && (dir === undefined || !/^[^@]+@[^@]+$/.test(dir)))
      throw usageError(`evaluate: give the version as NAME@VERSION (e.g. fraud@2), not ${JSON.stringify(dir ?? '')}`);
    const gated = verb === 'promote' && (args.flags['min-precision'] !== undefined || args.flags['min-recall'] !== undefined);
    const evaluation = verb === 'evaluate' || gated ? await evaluationInputs(args.flags, io, `${tenant}/${namespace}`) : undefined;
    session = await openRegistrySession({
      serviceUrl: need('service-url'),
      tenant,
      namespace,
      ...(typeof token === 'string' ? { token } : {}),
      ...(caFromFlags(args.flags) === undefined ? {} : { ca: caFromFlags(args.flags) as Buffer }),
      ...(typeof author === 'string' ? { actor: author } : {}),
      // #21: the registry's audit records are sealed with the tenant key where one is set.
      auditSeal: auditSealOf(keyringFromFlags(args.flags, io.env)),
    });
    const result = await runVerb(verb as Verb, session, args.flags, dir, need, io, mode, evaluation);
    io.stdout(mode === 'json' ? JSON.stringify({ ok: true, ...result.json }, null, 2) : result.text);
    return EXIT.ok;
  } finally {
    await session?.close().catch(() => undefined);
  }
}

async function runVerb(
  verb: Verb,
  s: RegistrySession,
  flags: Readonly<Record<string, string | boolean | undefined>>,
  dir: string | undefined,
  need: (flag: keyof typeof FLAGS) => string,
  io: CliIo,
  mode: 'text' | 'json',
  evaluation: EvaluationInputs | undefined,
): Promise<{ text: string; json: Record<string, unknown> }> {
  const reg = s.registry;
  const rolloutResult = (r: Awaited<ReturnType<typeof reg.rollback>>, what: string): { text: string; json: Record<string, unknown> } => ({
    text: `${what}; ${r.name}: ${slotsOf(r)} (revision ${r.revision})`,
    json: { rollout: r },
  });
  switch (verb) {
    case 'schema': {
      const features = flags['features'];
      if (typeof features !== 'string') {
        const schema = reg.view.featureSchema() ?? null;
        return {
          text:
            schema === null
              ? 'no feature schema set (beamline model schema --features a,b,c)'
              : `features: ${schema.features.join(', ')}\noutputs: ${schema.outputs}`,
          json: { schema },
        };
      }
      const outputs = flags['outputs'] === undefined ? 1 : Number(flags['outputs']);
      const schema = await reg.setFeatureSchema(validateFeatureSchema({ features: features.split(',').map((f) => f.trim()), outputs }));
      return { text: `feature schema set: ${schema.features.join(', ')} -> ${schema.outputs} output(s)`, json: { schema } };
    }
    case 'push': {
      const name = need('name');
      const version = flags['version'];
      const metricsFile = flags['metrics'];
      const metrics = typeof metricsFile === 'string' ? await readValidationMetrics(metricsFile) : {};
      const artifact = flags['remote'] === true ? await readRemoteSpec(dir as string) : await readModelPath(dir as string);
      const r = await reg.push(artifact, {
        ...(flags['no-probe'] === true ? { probe: false } : {}),
        name,
        ...(typeof version === 'string' ? { version } : {}),
        metrics,
        promoteIfFirst: flags['no-promote'] !== true,
        onProgress: mode === 'text' ? progressPrinter(io.stderr) : undefined,
      });
      const m = r.manifest;
      return {
        text: `pushed ${m.name}@${m.version} (${m.format}, ${m.sizeBytes} bytes, sha256 ${m.sha256.slice(0, 12)}, input [batch, ${m.signature.input.join(', ')}] -> [batch, ${m.signature.output.join(', ')}], probe on ${r.backend})\n${m.name}: ${slotsOf(r.rollout)}`,
        json: { manifest: m, rollout: r.rollout, backend: r.backend, parts: r.parts },
      };
    }
    case 'list': {
      const models = reg.view.models().map((name) => ({ name, versions: reg.view.manifests(name), rollout: reg.view.rollout(name) }));
      return {
        text: formatList(models),
        json: { models: models.map((m) => ({ name: m.name, versions: m.versions.map((v) => v.version), rollout: m.rollout })) },
      };
    }
    case 'describe': {
      const name = need('name');
      const versions = reg.view.manifests(name);
      if (versions.length === 0) throw usageError(`no model named ${name} in this namespace (beamline model list)`);
      const rollout = reg.view.rollout(name);
      return { text: formatDescribe(name, versions, rollout), json: { name, rollout, versions } };
    }
    case 'promote': {
      const name = need('name');
      const version = need('version');
      let report: EvaluationReport | undefined;
      if (evaluation !== undefined) {
        // #23: evaluate first, on the labelled window; below a floor nothing changes.
        report = await evaluateOn(s, evaluation, name, version);
        checkEvaluationGate(report, evaluation.gate);
      }
      const r = rolloutResult(await reg.promote(name, version), `promoted ${name}@${version}`);
      return report === undefined ? r : { text: `${formatEvaluation(report)}\n${r.text}`, json: { ...r.json, evaluation: report } };
    }
    case 'evaluate': {
      const [name, version] = (dir as string).split('@') as [string, string];
      const report = await evaluateOn(s, evaluation as EvaluationInputs, name, version);
      return { text: formatEvaluation(report), json: { evaluation: report } };
    }
    case 'rollback':
      return rolloutResult(await reg.rollback(need('name')), 'rolled back');
    case 'shadow':
      if (flags['clear'] === true) return rolloutResult(await reg.setShadow(need('name'), null), 'shadow cleared');
      return rolloutResult(await reg.setShadow(need('name'), need('version')), `shadow set to ${flags['version']}`);
    case 'canary': {
      if (flags['clear'] === true) return rolloutResult(await reg.setCanary(need('name'), null, 0), 'canary cleared');
      const raw = need('percent');
      const percent = Number(raw);
      if (!Number.isInteger(percent) || percent < 0 || percent > 100)
        throw usageError(`--percent: invalid value "${raw}"; use a whole number from 0 to 100`);
      return rolloutResult(
        await reg.setCanary(need('name'), need('version'), percent),
        `canary ${flags['version']} on ${percent}% of keys`,
      );
    }
    case 'retire':
      return rolloutResult(await reg.retire(need('name'), need('version')), `retired ${flags['name']}@${flags['version']}`);
    case 'compare': {
      const name = flags['name'];
      const audit = await readAudit(s.client, s.auditTopic);
      const filter = typeof name === 'string' ? { model: name } : {};
      const window = parseWindow(flags);
      const report = compareFromAudit(audit, { ...filter, ...(window.fromMs === undefined ? {} : { sinceMs: window.fromMs }) });
      // #23: with labels on the namespace's labels topic, each slot's precision and recall too.
      const quality = qualityFromAudit(audit, await readLabels(s.client, s.tenant, s.namespace), { ...filter, ...window });
      return { text: `${formatCompare(report)}${formatQuality(quality)}`, json: { report, quality } };
    }
  }
}

interface EvaluationInputs {
  scoring: ScoringOptions;
  /** The namespace's PII tokenizer, as the worker's ingress applies it (#21). */
  /** As the worker's ingress tokenizes (#21): the namespace's PII marks and subject keys. */
  tokenization: ReplayTokenization;
  window: { fromMs?: number; toMs?: number };
  gate: { minPrecision?: number; minRecall?: number };
}

async function evaluationInputs(
  flags: Readonly<Record<string, string | boolean | undefined>>,
  io: CliIo,
  namespace: string,
): Promise<EvaluationInputs> {
  const minPrecision = parseShare('min-precision', flags['min-precision']);
  const minRecall = parseShare('min-recall', flags['min-recall']);
  const scoring = await scoringFromWorkerFile(flags['worker-file']);
  const window = parseWindow(flags);
  return {
    scoring,
    tokenization: await replayPii(flags, io.env, namespace, (line) => io.stderr(line)),
    window,
    gate: { ...(minPrecision === undefined ? {} : { minPrecision }), ...(minRecall === undefined ? {} : { minRecall }) },
  };
}

/** #23: replays the labelled window through the worker's features and scores it with the version. */
async function evaluateOn(s: RegistrySession, e: EvaluationInputs, name: string, version: string): Promise<EvaluationReport> {
  const set = await exportTrainingSet({
    client: s.client,
    tenant: s.tenant,
    namespace: s.namespace,
    features: e.scoring.features,
    ...(e.scoring.historyMax === undefined ? {} : { historyMax: e.scoring.historyMax }),
    ...(e.scoring.idField === undefined ? {} : { idField: e.scoring.idField }),
    ...e.window,
    ...e.tokenization,
  });
  return evaluateRegistryVersion({
    view: s.registry.view,
    name,
    version,
    rows: set.rows,
    ...(e.scoring.policy === undefined ? {} : { policy: e.scoring.policy }),
  });
}

function pct(x: number | null): string {
  return x === null ? '-' : `${(x * 100).toFixed(1)}%`;
}

function formatEvaluation(r: EvaluationReport): string {
  return [
    `${r.modelVersion} on ${r.labelled} labelled events (${r.frauds} fraud, ${r.honest} honest; ${r.rows} rows), policy ${r.policyVersion}`,
    `  block precision ${pct(r.precision)}  recall ${pct(r.recall)}  blocked-or-review recall ${pct(r.flaggedRecall)}  honest blocked ${pct(r.honestBlockedRate)}`,
    `  scoring latency p50 ${r.latencyP50Ms?.toFixed(2) ?? '-'} ms  p99 ${r.latencyP99Ms?.toFixed(2) ?? '-'} ms${r.fallbacks > 0 ? `  (${r.fallbacks} fallbacks)` : ''}`,
  ].join('\n');
}

function formatQuality(q: readonly SlotQuality[]): string {
  if (q.length === 0) return '\n\nno labelled decisions yet (labels topic: review outcomes, beamline features label)';
  const lines = q.map(
    (x) =>
      `${x.slot.padEnd(7)} ${x.modelVersion.padEnd(14)} labelled=${x.labelled} fraud=${x.frauds}  precision ${pct(x.precision)}  recall ${pct(x.recall)}  flagged recall ${pct(x.flaggedRecall)}  honest blocked ${pct(x.honestBlockedRate)}`,
  );
  return `\n\nagainst labels:\n${lines.join('\n')}`;
}

/** #25: a remote model's spec file; push validates it (and probes the server unless --no-probe). */
async function readRemoteSpec(path: string): Promise<RegistryArtifact> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw usageError(`cannot read the remote model spec ${path}: ${(cause as Error).message}`);
  }
  const spec: unknown = parseYaml(text);
  return { format: 'remote', spec: spec as Extract<RegistryArtifact, { format: 'remote' }>['spec'] };
}

/**
 * The write side of the registry: push (validate, store bytes and manifest), rollout changes,
 * retire, and the audit event for each. Everything lives on the namespace's compacted `models`
 * topic and its `audit` topic, so it replicates with the namespace.
 *
 * Concurrent admins: each change reads the current rollout and writes the next one; two changes
 * at the same instant are last-writer-wins (the audit trail shows both).
 */
import { userInfo } from 'node:os';
import { systemClock, type Clock } from '../../clock.ts';
import type { Producer, PulsarClient } from '../../pulsar/index.ts';
import { silentLogger, type Logger } from '../../telemetry.ts';
import { encodeArtifact, sha256Hex, type RegistryArtifact } from './artifact-codec.ts';
import { auditEntry, openAuditWriter, type AuditWriter, type RegistryAuditEvent, type RegistryAuditType } from './audit.ts';
import type { AuditSeal } from '../../governance/index.ts';
import { REGISTRY_ERROR_CODES, registryError } from './errors.ts';
import { checkModelName, checkSignature, validateFeatureSchema, type FeatureSchema, type ModelManifest } from './manifest.ts';
import {
  FEATURE_SCHEMA_KEY,
  RegistryView,
  artifactKey,
  artifactPartKey,
  encodePartsIndex,
  manifestKey,
  rolloutKey,
} from './registry-view.ts';
import { applyRolloutChange, type RolloutChange, type RolloutState } from './rollout.ts';
import { validateModel, validateRemoteModel } from './validate-model.ts';

export interface ModelRegistryOptions {
  client: PulsarClient;
  tenant: string;
  namespace: string;
  /** Who makes the changes (recorded in manifests and audit events). @default the OS user */
  actor?: string;
  /** #21: seals the registry's audit records (`auditSealOf(keyring)`). @default bare SHA-256 */
  auditSeal?: AuditSeal;
  clock?: Clock;
  log?: Logger;
}

export type PushPhase = 'validating' | 'uploading' | 'uploaded' | 'done';

export interface PushOptions {
  name: string;
  /** @default one more than the highest numeric version (1 for the first) */
  version?: string;
  /** From a validation file (auc, precision...). */
  metrics?: Readonly<Record<string, number>>;
  /** @default the registry's actor */
  author?: string;
  /** Make the version live when the model has no live version yet. @default true */
  promoteIfFirst?: boolean;
  onProgress?: (p: { phase: PushPhase; bytes: number; totalBytes: number }) => void;
  /** #25, remote versions: ask the server (ready, metadata, one probe row) before storing. @default true */
  probe?: boolean;
}

export interface PushResult {
  readonly manifest: ModelManifest;
  readonly rollout: RolloutState;
  readonly backend: string;
  /** Parts the bytes were stored in (1 = a single message). */
  readonly parts: number;
}

/**
 * Artifacts above this are stored as parts of this size under their own keys (see
 * registry-view.ts for why not Pulsar chunking). Well under the broker's 5 MiB message limit.
 * @default 1 MiB
 */
export const ARTIFACT_PART_BYTES = 1024 * 1024;

export function namespaceTopicName(tenant: string, namespace: string, topic: string): string {
  return `persistent://${tenant}/${namespace}/${topic}`;
}

export class ModelRegistry {
  readonly view: RegistryView;
  readonly #models: Producer;
  readonly #audit: AuditWriter;
  readonly #actor: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  #closed = false;

  private constructor(view: RegistryView, models: Producer, audit: AuditWriter, o: ModelRegistryOptions) {
    this.view = view;
    this.#models = models;
    this.#audit = audit;
    this.#actor = o.actor ?? safeUser();
    this.#clock = o.clock ?? systemClock;
    this.#log = (o.log ?? silentLogger).child({ component: 'model-registry', tenant: o.tenant, namespace: o.namespace });
  }

  static async create(o: ModelRegistryOptions): Promise<ModelRegistry> {
    const view = await RegistryView.create(o.client, namespaceTopicName(o.tenant, o.namespace, 'models'));
    const producers: Producer[] = [];
    let audit: AuditWriter | undefined;
    try {
      // Not batched: each registry write is its own record. Chunking only as a safety net for a
      // value above the broker's limit; parts (ARTIFACT_PART_BYTES) stay well below it.
      producers.push(await o.client.createProducer({ topic: view.topic, batching: false, chunking: true, compression: 'none' }));
      audit = await openAuditWriter(
        o.client,
        namespaceTopicName(o.tenant, o.namespace, 'audit'),
        o.auditSeal ?? { kind: 'sha256' },
        'registry',
      );
      producers.push(audit.producer);
    } catch (err) {
      await Promise.allSettled(producers.map((p) => p.close()));
      await view.close();
      throw err;
    }
    return new ModelRegistry(view, producers[0] as Producer, audit as AuditWriter, o);
  }

  async setFeatureSchema(schema: FeatureSchema): Promise<FeatureSchema> {
    const s = validateFeatureSchema(schema);
    await this.#put(FEATURE_SCHEMA_KEY, Buffer.from(JSON.stringify(s)));
    await this.#auditEvent('feature-schema-set', '*', null, {});
    return s;
  }

  /**
   * Validates the model (loads it, scores a probe batch, checks its signature against the
   * namespace's feature schema), then stores its bytes and manifest. Refused models write nothing.
   * #25: a remote artifact stores its spec (endpoint, signature, auth reference, never a
   * credential); it is probed over the network unless `probe: false`.
   */
  async push(artifact: RegistryArtifact, o: PushOptions): Promise<PushResult> {
    this.#checkOpen();
    const name = checkModelName('name', o.name);
    const schema = this.view.featureSchema();
    if (schema === undefined) {
      throw registryError(
        REGISTRY_ERROR_CODES.noFeatureSchema,
        `the namespace has no feature schema; set one first (beamline model schema --features a,b,c)`,
        { name },
      );
    }
    const version = checkModelName('version', o.version ?? this.#nextVersion(name));
    if (this.view.manifest(name, version) !== undefined) {
      throw registryError(REGISTRY_ERROR_CODES.versionExists, `${name}@${version} already exists; versions are immutable, push a new one`, {
        name,
        version,
      });
    }
    let bytes: Buffer;
    let validated;
    if (artifact.format === 'remote') {
      o.onProgress?.({ phase: 'validating', bytes: 0, totalBytes: 0 });
      const r = await validateRemoteModel(artifact, o.probe === undefined ? {} : { probe: o.probe });
      // The compiled spec is stored: defaults made explicit, the endpoint normalised.
      bytes = encodeArtifact({ format: 'remote', spec: r.spec });
      validated = r;
    } else {
      bytes = encodeArtifact(artifact);
      o.onProgress?.({ phase: 'validating', bytes: 0, totalBytes: bytes.length });
      validated = await validateModel(artifact);
    }
    const total = bytes.length;
    checkSignature(validated.signature, schema);

    o.onProgress?.({ phase: 'uploading', bytes: 0, totalBytes: total });
    const parts = await this.#putArtifact(name, version, bytes, (sent) =>
      o.onProgress?.({ phase: sent < total ? 'uploading' : 'uploaded', bytes: sent, totalBytes: total }),
    );
    const manifest: ModelManifest = {
      name,
      version,
      sha256: sha256Hex(bytes),
      format: artifact.format,
      sizeBytes: total,
      signature: validated.signature,
      metrics: { ...(o.metrics ?? {}) },
      author: o.author ?? this.#actor,
      createdAtMs: this.#clock.now(),
      retiredAtMs: null,
    };
    await this.#put(manifestKey(name, version), Buffer.from(JSON.stringify(manifest)));
    await this.#auditEvent('model-pushed', name, version, { sha256: manifest.sha256 });
    this.#log.info({ name, version, sizeBytes: total, backend: validated.backend }, 'model pushed');
    let rollout = this.view.rollout(name);
    if ((o.promoteIfFirst ?? true) && rollout.live === null) rollout = await this.change(name, { type: 'promoted', version });
    o.onProgress?.({ phase: 'done', bytes: total, totalBytes: total });
    return { manifest, rollout, backend: validated.backend, parts };
  }

  promote(name: string, version: string): Promise<RolloutState> {
    return this.change(name, { type: 'promoted', version });
  }

  rollback(name: string): Promise<RolloutState> {
    return this.change(name, { type: 'rolled-back' });
  }

  setShadow(name: string, version: string | null): Promise<RolloutState> {
    return this.change(name, { type: 'shadow-set', version });
  }

  setCanary(name: string, version: string | null, percent: number): Promise<RolloutState> {
    return this.change(name, { type: 'canary-set', version, percent });
  }

  /** Takes the version out of every slot, deletes its bytes and marks its manifest retired. */
  async retire(name: string, version: string): Promise<RolloutState> {
    const manifest = this.#requireVersion(name, version);
    const rollout = await this.change(name, { type: 'retired', version });
    await this.#put(manifestKey(name, version), Buffer.from(JSON.stringify({ ...manifest, retiredAtMs: this.#clock.now() })));
    const head = this.view.get(artifactKey(name, version));
    const parts = head === undefined ? 0 : Math.ceil(manifest.sizeBytes / ARTIFACT_PART_BYTES);
    await this.#put(artifactKey(name, version), undefined);
    if (parts > 1) for (let i = 0; i < parts; i++) await this.#put(artifactPartKey(name, version, i), undefined);
    return rollout;
  }

  /** Applies one rollout change, writes the new rollout and its audit event. */
  async change(name: string, c: RolloutChange): Promise<RolloutState> {
    this.#checkOpen();
    checkModelName('name', name);
    if (this.view.models().indexOf(name) < 0)
      throw registryError(REGISTRY_ERROR_CODES.unknownModel, `no model named ${name} in this namespace`, {
        name,
        models: this.view.models(),
      });
    const version = 'version' in c ? c.version : null;
    if (version !== null && c.type !== 'retired') {
      const m = this.#requireVersion(name, version);
      if (m.retiredAtMs !== null)
        throw registryError(REGISTRY_ERROR_CODES.invalidRollout, `${name}@${version} is retired`, { name, version });
    }
    const next = applyRolloutChange(this.view.rollout(name), c, { atMs: this.#clock.now(), by: this.#actor });
    await this.#put(rolloutKey(name), Buffer.from(JSON.stringify(next)));
    await this.#auditEvent(c.type, name, c.type === 'rolled-back' ? next.live : version, {
      rollout: next,
      ...(c.type === 'canary-set' ? { percent: c.percent } : {}),
    });
    this.#log.info({ name, change: c.type, version, revision: next.revision }, 'rollout changed');
    return next;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([this.#models.close(), this.#audit.producer.close()]);
    await this.view.close();
  }

  #requireVersion(name: string, version: string): ModelManifest {
    const m = this.view.manifest(name, version);
    if (m === undefined) {
      const known = this.view.manifests(name).map((x) => x.version);
      throw registryError(
        REGISTRY_ERROR_CODES.unknownVersion,
        `${name} has no version ${version}${known.length ? ` (known: ${known.join(', ')})` : ''}`,
        { name, version, known },
      );
    }
    return m;
  }

  #nextVersion(name: string): string {
    const numeric = this.view
      .manifests(name)
      .map((m) => Number(m.version))
      .filter((n) => Number.isInteger(n));
    return String(numeric.length === 0 ? 1 : Math.max(...numeric) + 1);
  }

  /** Parts first, the index last: a reader that sees the index finds every part before it. */
  async #putArtifact(name: string, version: string, bytes: Buffer, progress: (sent: number) => void): Promise<number> {
    if (bytes.length <= ARTIFACT_PART_BYTES) {
      await this.#put(artifactKey(name, version), bytes);
      progress(bytes.length);
      return 1;
    }
    const parts = Math.ceil(bytes.length / ARTIFACT_PART_BYTES);
    for (let i = 0; i < parts; i++) {
      const end = Math.min(bytes.length, (i + 1) * ARTIFACT_PART_BYTES);
      await this.#put(artifactPartKey(name, version, i), bytes.subarray(i * ARTIFACT_PART_BYTES, end));
      progress(end);
    }
    await this.#put(artifactKey(name, version), encodePartsIndex(parts, bytes.length));
    return parts;
  }

  async #put(key: string, value: Buffer | undefined): Promise<void> {
    await this.#models.send(value === undefined ? { key, payload: Buffer.alloc(0), nullValue: true } : { key, payload: value });
    this.view.remember(key, value);
  }

  async #auditEvent(type: RegistryAuditType, model: string, version: string | null, extra: Partial<RegistryAuditEvent>): Promise<void> {
    const e: RegistryAuditEvent = { type, model, version, ...extra, actor: this.#actor, atMs: this.#clock.now() };
    const entry = auditEntry(e.atMs, e.actor, type, version === null ? model : `${model}@${version}`, e);
    await this.#audit.send(entry, { key: model, eventTimeMs: e.atMs });
  }

  #checkOpen(): void {
    if (this.#closed) throw registryError(REGISTRY_ERROR_CODES.closed, 'the registry is closed');
  }
}

function safeUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * A read view of the namespace's registry: a TableView over the compacted `models` topic.
 *
 * Keys: `schema/features`, `manifest/<name>/<version>`, `artifact/<name>/<version>` (the model
 * bytes, or for large models an index of parts `artifact/<name>/<version>/part/<i>`),
 * `rollout/<name>`.
 *
 * Why our own parts and not Pulsar message chunking: after a compaction, a compacted read no
 * longer returns chunked messages (seen on Pulsar 4.0.7 with our client: the 6 MB artifacts were
 * gone while the small keys stayed), so a chunked artifact would vanish from every new view.
 * test/integration/model-registry.test.ts pins the parts design down. Writes made through this process are visible at
 * once (before the view reads them back), so a CLI can push then promote in one run.
 */
import type { PulsarClient, TableView } from '../../pulsar/index.ts';
import { decodeArtifact, sha256Hex, type RegistryArtifact } from './artifact-codec.ts';
import { REGISTRY_ERROR_CODES, registryError } from './errors.ts';
import { validateFeatureSchema, validateManifest, type FeatureSchema, type ModelManifest } from './manifest.ts';
import { parseRollout, type RolloutState } from './rollout.ts';

export const FEATURE_SCHEMA_KEY = 'schema/features';
export const manifestKey = (name: string, version: string): string => `manifest/${name}/${version}`;
export const artifactKey = (name: string, version: string): string => `artifact/${name}/${version}`;
export const rolloutKey = (name: string): string => `rollout/${name}`;
export const artifactPartKey = (name: string, version: string, i: number): string => `artifact/${name}/${version}/part/${i}`;

/** Prefix of an artifact index value (the bytes themselves start with BLM1). */
export const PARTS_MAGIC = Buffer.from('BLP1');

export function encodePartsIndex(parts: number, sizeBytes: number): Buffer {
  return Buffer.concat([PARTS_MAGIC, Buffer.from(JSON.stringify({ parts, sizeBytes }))]);
}

function partsIndex(b: Buffer): { parts: number; sizeBytes: number } | undefined {
  if (b.length < 4 || !b.subarray(0, 4).equals(PARTS_MAGIC)) return undefined;
  return JSON.parse(b.subarray(4).toString('utf8')) as { parts: number; sizeBytes: number };
}

export class RegistryView {
  readonly topic: string;
  readonly #table: TableView;
  /** Values this process wrote, until the table has read them back. `null`: deleted. */
  readonly #local = new Map<string, Buffer | null>();
  readonly #waiters = new Set<() => void>();
  readonly #unsubscribe: () => void;

  private constructor(topic: string, table: TableView) {
    this.topic = topic;
    this.#table = table;
    this.#unsubscribe = table.on('change', (c) => {
      this.#local.delete(c.key);
      for (const w of [...this.#waiters]) w();
    });
  }

  /** Replays the `models` topic, then follows it. */
  static async create(client: PulsarClient, topic: string, options: { replayIdleMs?: number } = {}): Promise<RegistryView> {
    const table = await client.createTableView({ topic, replayIdleMs: options.replayIdleMs ?? 2000 });
    return new RegistryView(topic, table);
  }

  get(key: string): Buffer | undefined {
    const l = this.#local.get(key);
    if (l !== undefined) return l === null ? undefined : l;
    return this.#table.get(key);
  }

  /** Records a write of this process (`undefined` = delete). */
  remember(key: string, value: Buffer | undefined): void {
    this.#local.set(key, value ?? null);
    for (const w of [...this.#waiters]) w();
  }

  featureSchema(): FeatureSchema | undefined {
    const b = this.get(FEATURE_SCHEMA_KEY);
    return b === undefined ? undefined : validateFeatureSchema(JSON.parse(b.toString('utf8')));
  }

  /** Model names with at least one manifest or a rollout. */
  models(): string[] {
    const names = new Set<string>();
    for (const k of this.#keys()) {
      const m = /^(?:manifest|rollout)\/([^/]+)/.exec(k);
      if (m?.[1] !== undefined) names.add(m[1]);
    }
    return [...names].sort();
  }

  manifest(name: string, version: string): ModelManifest | undefined {
    const b = this.get(manifestKey(name, version));
    return b === undefined ? undefined : validateManifest(JSON.parse(b.toString('utf8')));
  }

  /** Every version's manifest, oldest first. */
  manifests(name: string): ModelManifest[] {
    const prefix = `manifest/${name}/`;
    const out: ModelManifest[] = [];
    for (const k of this.#keys()) {
      if (!k.startsWith(prefix)) continue;
      const m = this.manifest(name, k.slice(prefix.length));
      if (m !== undefined) out.push(m);
    }
    return out.sort((a, b) => a.createdAtMs - b.createdAtMs || a.version.localeCompare(b.version, undefined, { numeric: true }));
  }

  rollout(name: string): RolloutState {
    return parseRollout(name, this.get(rolloutKey(name)));
  }

  /** The stored bytes (parts joined), or undefined while any part is missing. */
  artifactBytes(name: string, version: string): Buffer | undefined {
    const head = this.get(artifactKey(name, version));
    if (head === undefined) return undefined;
    const index = partsIndex(head);
    if (index === undefined) return head;
    const parts: Buffer[] = [];
    for (let i = 0; i < index.parts; i++) {
      const p = this.get(artifactPartKey(name, version, i));
      if (p === undefined) return undefined;
      parts.push(p);
    }
    const bytes = Buffer.concat(parts);
    return bytes.length === index.sizeBytes ? bytes : undefined;
  }

  /** Whether the manifest and every byte of the version are in the view. */
  hasArtifact(name: string, version: string): boolean {
    return this.manifest(name, version) !== undefined && this.artifactBytes(name, version) !== undefined;
  }

  /** The model's bytes, checked against the manifest's sha256. */
  artifact(name: string, version: string): RegistryArtifact {
    const manifest = this.manifest(name, version);
    if (manifest === undefined)
      throw registryError(REGISTRY_ERROR_CODES.unknownVersion, `${name} has no version ${version}`, { name, version });
    const bytes = this.artifactBytes(name, version);
    if (bytes === undefined)
      throw registryError(REGISTRY_ERROR_CODES.unknownVersion, `the bytes of ${name}@${version} are not in the registry (retired?)`, {
        name,
        version,
      });
    const digest = sha256Hex(bytes);
    if (digest !== manifest.sha256)
      throw registryError(REGISTRY_ERROR_CODES.artifactCorrupt, `the bytes of ${name}@${version} do not match the manifest's sha256`, {
        expected: manifest.sha256,
        actual: digest,
      });
    return decodeArtifact(bytes);
  }

  /** Resolves once `ready()` is true (checked on every change), or rejects after `timeoutMs`. */
  waitUntil(ready: () => boolean, timeoutMs: number): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!ready()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          registryError(REGISTRY_ERROR_CODES.unknownVersion, `registry did not reach the expected state within ${timeoutMs} ms`, {
            timeoutMs,
          }),
        );
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
    });
  }

  /** Calls `listener` with the new rollout whenever `rollout/<name>` changes. Returns an unsubscribe. */
  onRollout(name: string, listener: (r: RolloutState) => void): () => void {
    const key = rolloutKey(name);
    return this.#table.on('change', (c) => {
      if (c.key === key) listener(parseRollout(name, c.value));
    });
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    await this.#table.close();
  }

  *#keys(): Iterable<string> {
    const seen = new Set<string>();
    for (const [k, v] of this.#local) {
      seen.add(k);
      if (v !== null) yield k;
    }
    for (const k of this.#table.keys()) if (!seen.has(k)) yield k;
  }
}

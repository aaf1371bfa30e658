/**
 * Rollout state of one model (`rollout/<name>` on the compacted `models` topic) and its pure
 * transitions. Only `live` and `canary` act on decisions; `shadow` is scored and recorded.
 */
import { REGISTRY_ERROR_CODES, registryError } from './errors.ts';

export interface CanarySlot {
  readonly version: string;
  /** Share of keys (0-100) the canary decides: those with `canaryBucket(key) < percent`. */
  readonly percent: number;
}

export interface RolloutState {
  readonly name: string;
  readonly live: string | null;
  /** Earlier live versions, most recent last: what `rollback` returns to. */
  readonly history: readonly string[];
  readonly shadow: string | null;
  readonly canary: CanarySlot | null;
  /** Bumped on every change. */
  readonly revision: number;
  readonly updatedAtMs: number;
  readonly updatedBy: string;
}

export type RolloutChange =
  | { type: 'promoted'; version: string }
  | { type: 'rolled-back' }
  | { type: 'shadow-set'; version: string | null }
  | { type: 'canary-set'; version: string | null; percent: number }
  | { type: 'retired'; version: string };

export function emptyRollout(name: string): RolloutState {
  return { name, live: null, history: [], shadow: null, canary: null, revision: 0, updatedAtMs: 0, updatedBy: '' };
}

/** FNV-1a (32 bit) of the key's UTF-8 bytes, mod 100: stable across processes and restarts. */
export function canaryBucket(key: string | undefined): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(key ?? '', 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 100;
}

/** Which slot decides a key under this rollout. */
export function routeOf(r: Pick<RolloutState, 'canary'>, key: string | undefined): 'live' | 'canary' {
  return r.canary !== null && r.canary.percent > 0 && canaryBucket(key) < r.canary.percent ? 'canary' : 'live';
}

/**
 * Applies one change. `promote` makes a version live (the old live goes on the history and the
 * version leaves the shadow/canary slot). `rollback` removes a canary if there is one (all keys
 * back on live), else makes the previous live version live again.
 */
export function applyRolloutChange(r: RolloutState, c: RolloutChange, meta: { atMs: number; by: string }): RolloutState {
  const bump = (next: Partial<RolloutState>): RolloutState => ({
    ...r,
    ...next,
    revision: r.revision + 1,
    updatedAtMs: meta.atMs,
    updatedBy: meta.by,
  });
  switch (c.type) {
    case 'promoted': {
      if (r.live === c.version) throw invalid(`${c.version} is already live`);
      return bump({
        live: c.version,
        history: r.live === null ? r.history : [...r.history.filter((v) => v !== r.live), r.live],
        shadow: r.shadow === c.version ? null : r.shadow,
        canary: r.canary?.version === c.version ? null : r.canary,
      });
    }
    case 'rolled-back': {
      if (r.canary !== null) return bump({ canary: null });
      const previous = r.history.at(-1);
      if (previous === undefined) {
        throw registryError(REGISTRY_ERROR_CODES.nothingToRollBack, `${r.name} has no canary and no earlier live version to roll back to`, {
          name: r.name,
          live: r.live,
        });
      }
      return bump({ live: previous, history: r.history.slice(0, -1) });
    }
    case 'shadow-set':
      if (c.version !== null && c.version === r.live) throw invalid(`${c.version} is live; a shadow must be another version`);
      return bump({ shadow: c.version });
    case 'canary-set': {
      if (c.version === null || c.percent === 0) return bump({ canary: null });
      if (!Number.isInteger(c.percent) || c.percent < 0 || c.percent > 100)
        throw invalid(`canary percent ${c.percent} is out of range; use a whole number from 0 to 100`);
      if (c.version === r.live) throw invalid(`${c.version} is live; a canary must be another version`);
      if (r.live === null) throw invalid(`${r.name} has no live version yet; promote one before starting a canary`);
      return bump({ canary: { version: c.version, percent: c.percent } });
    }
    case 'retired':
      if (c.version === r.live) throw invalid(`${c.version} is live; promote or roll back to another version before retiring it`);
      return bump({
        history: r.history.filter((v) => v !== c.version),
        shadow: r.shadow === c.version ? null : r.shadow,
        canary: r.canary?.version === c.version ? null : r.canary,
      });
  }
}

function invalid(message: string): Error {
  return registryError(REGISTRY_ERROR_CODES.invalidRollout, message);
}

export function parseRollout(name: string, bytes: Buffer | undefined): RolloutState {
  if (bytes === undefined) return emptyRollout(name);
  const o = JSON.parse(bytes.toString('utf8')) as RolloutState;
  return { ...emptyRollout(name), ...o };
}

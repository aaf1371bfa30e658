/**
 * The line protocol of a replica process on its stdout (#17): written by the demo's replica
 * (demo/replica-main.ts) and the multi-replica test fixture, read by the demo's replica set
 * (demo/replicas.ts) and the tests. One line per message:
 *
 *   ready {"port":9465,"backend":"cpu"}     started (the JSON is optional)
 *   partition {"kind":"gained","partition":3,"owned":[0,3]}   a partition event and what it owns after it
 *
 * Any other line is the process's own (a log line, a test hook's note).
 */

/** A partition event as a replica reports it. */
export interface ReplicaPartitionLine {
  readonly kind: string;
  readonly partition: number;
  readonly owned: readonly number[];
  readonly [extra: string]: unknown;
}

export type ReplicaLine =
  | { readonly type: 'ready'; readonly info: Readonly<Record<string, unknown>> }
  | { readonly type: 'partition'; readonly event: ReplicaPartitionLine }
  | { readonly type: 'other'; readonly line: string };

export function readyLine(info?: Readonly<Record<string, unknown>>): string {
  return info === undefined ? 'ready\n' : `ready ${JSON.stringify(info)}\n`;
}

export function partitionLine(event: ReplicaPartitionLine): string {
  return `partition ${JSON.stringify(event)}\n`;
}

/** Parses one line (without its newline); a malformed `partition` line is `other`, never a throw. */
export function parseReplicaLine(line: string): ReplicaLine {
  if (line === 'ready') return { type: 'ready', info: {} };
  try {
    if (line.startsWith('ready ')) return { type: 'ready', info: JSON.parse(line.slice('ready '.length)) as Record<string, unknown> };
    if (line.startsWith('partition ')) {
      const event = JSON.parse(line.slice('partition '.length)) as ReplicaPartitionLine;
      if (typeof event.kind === 'string' && typeof event.partition === 'number' && Array.isArray(event.owned))
        return { type: 'partition', event };
    }
  } catch {
    // Not ours: falls through to `other`.
  }
  return { type: 'other', line };
}

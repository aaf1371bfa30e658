/**
 * Reassembly of chunked messages (PIP-37) on one partition: the chunks of a message arrive in
 * order, possibly interleaved with other messages' chunks, and are joined once the last one is in.
 * Delivered messages remember their chunks' ids until acknowledged, since every chunk is its own
 * entry on the broker and each must be acked.
 */
import { decompress, type MessageId, type MessageMetadata } from '../../wire/index.ts';

interface Assembly {
  parts: Buffer[];
  ids: MessageId[];
  startedAt: number;
}

export type ChunkOutcome =
  | { readonly kind: 'partial' }
  /** A chunk without its predecessors (e.g. after a reconnect mid-message). */
  | { readonly kind: 'orphan' }
  /** All chunks in, joined and decompressed. */
  | { readonly kind: 'complete'; readonly body: Buffer; readonly ids: MessageId[] }
  /** All chunks in but undecodable: the caller acks them and drops the message. */
  | { readonly kind: 'corrupt'; readonly ids: MessageId[]; readonly cause: unknown };

export interface ExpiredAssembly {
  readonly uuid: string;
  readonly ids: readonly MessageId[];
}

export class ChunkAssembler {
  readonly #maxPending: number;
  readonly #expireMs: number;
  /** Messages being assembled, by uuid (insertion order = age). */
  readonly #assemblies = new Map<string, Assembly>();
  /** Chunk entry ids of delivered chunked messages, by the message id, until acked. */
  readonly #delivered = new Map<string, MessageId[]>();

  constructor(maxPending: number, expireMs: number) {
    this.#maxPending = maxPending;
    this.#expireMs = expireMs;
  }

  add(meta: MessageMetadata, id: MessageId, part: Buffer, now: number): ChunkOutcome {
    const uuid = meta.uuid as string;
    const chunkId = meta.chunk_id;
    let a = this.#assemblies.get(uuid);
    if (chunkId === 0) {
      a = { parts: [], ids: [], startedAt: now };
      this.#assemblies.set(uuid, a);
      if (this.#assemblies.size > this.#maxPending) {
        // Too many half-received messages: forget the oldest (it is redelivered, never acked).
        const oldest = this.#assemblies.keys().next().value as string;
        this.#assemblies.delete(oldest);
      }
    }
    if (a === undefined || chunkId !== a.parts.length) return { kind: 'orphan' };
    a.parts.push(part);
    a.ids.push(id);
    if (a.parts.length < (meta.num_chunks_from_msg as number)) return { kind: 'partial' };
    this.#assemblies.delete(uuid);
    try {
      const joined = Buffer.concat(a.parts);
      return { kind: 'complete', body: decompress(meta.compression ?? 0, joined, meta.uncompressed_size ?? joined.length), ids: a.ids };
    } catch (cause) {
      return { kind: 'corrupt', ids: a.ids, cause };
    }
  }

  /**
   * Drop messages whose remaining chunks never came (e.g. the producer died mid-way); the caller
   * acks their chunks so they do not sit in the backlog forever.
   */
  expire(now: number): ExpiredAssembly[] {
    const ttl = this.#expireMs;
    if (ttl <= 0 || this.#assemblies.size === 0) return [];
    const out: ExpiredAssembly[] = [];
    for (const [uuid, a] of this.#assemblies) {
      // Insertion order is age order: stop at the first one still fresh.
      if (now - a.startedAt < ttl) break;
      this.#assemblies.delete(uuid);
      out.push({ uuid, ids: a.ids });
    }
    return out;
  }

  delivered(id: MessageId, chunkIds: MessageId[]): void {
    this.#delivered.set(id.toString(), chunkIds);
  }

  /** The chunk ids behind a delivered message, or undefined when it was not chunked. */
  chunkIdsOf(id: MessageId): MessageId[] | undefined {
    return this.#delivered.get(id.toString());
  }

  forget(id: MessageId): void {
    this.#delivered.delete(id.toString());
  }

  /** Drop half-assembled messages (the broker sends them again from their first chunk). */
  clearIncomplete(): void {
    this.#assemblies.clear();
  }
}

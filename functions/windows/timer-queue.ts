/**
 * Pending window timers as a binary min-heap. Derived state: rebuilt from the store on restore,
 * never persisted. Entries are checked against the store when popped (stale ones are skipped),
 * so updates never need to find and remove an old entry. The total order (time, end, start, key)
 * makes firing order identical before and after a restore.
 */
export interface TimerEntry {
  readonly atMs: number;
  readonly endMs: number;
  readonly startMs: number;
  readonly key: string;
  readonly storeKey: string;
}

function less(a: TimerEntry, b: TimerEntry): boolean {
  if (a.atMs !== b.atMs) return a.atMs < b.atMs;
  if (a.endMs !== b.endMs) return a.endMs < b.endMs;
  if (a.startMs !== b.startMs) return a.startMs < b.startMs;
  return a.key < b.key;
}

export class TimerQueue {
  #heap: TimerEntry[] = [];

  get size(): number {
    return this.#heap.length;
  }

  peek(): TimerEntry | undefined {
    return this.#heap[0];
  }

  clear(): void {
    this.#heap = [];
  }

  push(entry: TimerEntry): void {
    const h = this.#heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as TimerEntry;
      if (!less(entry, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = entry;
  }

  pop(): TimerEntry | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = last;
      let at = -1;
      const lv = h[l];
      const rv = h[r];
      if (lv !== undefined && less(lv, smallest)) {
        smallest = lv;
        at = l;
      }
      if (rv !== undefined && less(rv, smallest)) {
        smallest = rv;
        at = r;
      }
      if (at === -1) break;
      h[i] = smallest;
      i = at;
    }
    h[i] = last;
    return top;
  }
}

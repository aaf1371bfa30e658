/** #17: which ownership mode the namespace's topic layout allows. */
import { describe, expect, it } from 'vitest';
import { layoutOf, partitionLayout } from '../../../functions/runtime/index.ts';

describe('partition layout', () => {
  it('owns partitions when events and state are partitioned alike', () => {
    expect(layoutOf(6, 6)).toEqual({ partitions: 6, events: 6, state: 6 });
  });

  it('falls back to one Key_Shared worker, with a warning naming the fix, when state is partitioned differently', () => {
    const l = layoutOf(6, 0);
    expect(l.partitions).toBe(0);
    expect(l.warning).toMatch(/state topic is not partitioned the same way/);
    expect(l.warning).toMatch(/re-apply the tenant spec/);
    expect(layoutOf(6, 4).partitions).toBe(0);
  });

  it('runs one Key_Shared worker, without a warning, on non-partitioned topics', () => {
    expect(layoutOf(0, 0)).toEqual({ partitions: 0, events: 0, state: 0 });
    expect(layoutOf(0, 4).warning).toBeUndefined();
  });

  it('asks the admin API for both topics', async () => {
    const asked: string[] = [];
    const admin = {
      getPartitionedMetadata: async (t: string) => {
        asked.push(t);
        return { partitions: 3 };
      },
    };
    expect((await partitionLayout(admin, 'persistent://t/ns/events', 'persistent://t/ns/state')).partitions).toBe(3);
    expect(asked.sort()).toEqual(['persistent://t/ns/events', 'persistent://t/ns/state']);
  });
});

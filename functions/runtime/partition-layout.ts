/**
 * #17: which ownership mode a namespace's topics allow. Ownership by partition needs the `state`
 * topic partitioned exactly like the input topic (state of input partition p lives in state
 * partition p); `beamline tenant apply` creates both with the spec's partition count.
 */

/** The admin call the layout needs (`PulsarAdmin.topics` fits). */
export interface PartitionMetadataSource {
  getPartitionedMetadata(topic: string): Promise<{ partitions: number }>;
}

export interface PartitionLayout {
  /** Partitions to own (> 0), or 0: one Key_Shared worker for the whole namespace. */
  readonly partitions: number;
  readonly events: number;
  readonly state: number;
  /** Why ownership by partition is off although the input topic is partitioned. */
  readonly warning?: string;
}

export async function partitionLayout(admin: PartitionMetadataSource, inputTopic: string, stateTopic: string): Promise<PartitionLayout> {
  const [events, state] = await Promise.all([admin.getPartitionedMetadata(inputTopic), admin.getPartitionedMetadata(stateTopic)]);
  return layoutOf(events.partitions, state.partitions);
}

/** The mode for these partition counts (0 = non-partitioned). */
export function layoutOf(events: number, state: number): PartitionLayout {
  if (events > 0 && events === state) return { partitions: events, events, state };
  if (events > 0) {
    return {
      partitions: 0,
      events,
      state,
      warning:
        'input topic partitioned but the state topic is not partitioned the same way: running as one Key_Shared worker, safe with one replica only (re-apply the tenant spec to partition the state topic)',
    };
  }
  return { partitions: 0, events, state };
}

/**
 * The fixed topic layout of a Beamline namespace. Workers rely on these names, so a spec can
 * tune each topic but not add, drop or rename one.
 */
import { OUTPUT_TOPICS, TOPIC_KINDS, piiPropertyKey, subjectPropertyKey, type TopicKind } from '../../functions/control-plane.ts';

// The topic names and which ones workers write live in functions/topics.ts (one catalogue).
export { OUTPUT_TOPICS, TOPIC_KINDS, type TopicKind };

/** Topics that carry typed records and therefore need an Avro schema from the spec. */
export const DATA_TOPICS: readonly TopicKind[] = ['events', 'predictions', 'actions', 'review', 'audit'];
/**
 * #23: topics whose records Beamline itself defines: their schema is fixed (`labels`:
 * dev.beamline.Label; `owners`, #17: the replicas' ownership journal, JSON without a registered
 * schema), so a spec may tune them but gives no schema, and may leave them out (specs written
 * before the topic existed keep compiling; apply then creates it).
 */
export const BUILT_IN_TOPICS: readonly TopicKind[] = ['labels', 'owners', 'subject-keys'];
/**
 * #17: topics partitioned exactly like `events` unless a spec says otherwise: the state of input
 * partition p, and the ownership records of p, live in their partition p.
 */
export const PARTITIONED_LIKE_EVENTS: readonly TopicKind[] = ['state', 'owners'];
/** Topics that hold latest-value-per-key and must be compacted. */
export const COMPACTED_TOPICS: readonly TopicKind[] = ['state', 'models', 'subject-keys'];

/**
 * Which way each topic replicates when a namespace spans several clusters (geo, #19). Decisions
 * and their inputs flow from each edge to central (review, training, audit, labels); models flow from
 * central to every edge (push once, every edge hot-swaps). Everything else stays in its region:
 * `state` (each region owns its keys: two regions writing one compacted key would race),
 * `owners` (each region's replicas fence each other, never another region's), `subject-keys`
 * (#21: a subject is erased in each region that holds its key),
 * `actions` (an edge's actuators act locally), `dead-letter` (replayed where it failed).
 */
export const EDGE_TO_CENTRAL_TOPICS: readonly TopicKind[] = ['events', 'predictions', 'review', 'audit', 'labels'];
export const CENTRAL_TO_EDGE_TOPICS: readonly TopicKind[] = ['models'];
/** The region that hosts models, review and audit for the whole tenant. */
export const CENTRAL_REGION = 'central';

export const SENSITIVITY_LEVELS = ['public', 'internal', 'confidential', 'restricted'] as const;
export type Sensitivity = (typeof SENSITIVITY_LEVELS)[number];

export const COMPATIBILITY_STRATEGIES = [
  'ALWAYS_COMPATIBLE',
  'ALWAYS_INCOMPATIBLE',
  'BACKWARD',
  'FORWARD',
  'FULL',
  'BACKWARD_TRANSITIVE',
  'FORWARD_TRANSITIVE',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityStrategy = (typeof COMPATIBILITY_STRATEGIES)[number];

export const BACKLOG_POLICIES = ['producer_request_hold', 'producer_exception', 'consumer_backlog_eviction'] as const;

export type RoleKind = 'worker' | 'producer' | 'analyst';
export type Action = 'produce' | 'consume';

/** Least privilege: each role gets exactly what its job needs, per topic. */
export const DEFAULT_GRANTS: Readonly<Record<RoleKind, Readonly<Partial<Record<Action, readonly TopicKind[]>>>>> = {
  // `review` read back only for the queue's depth (#22): items the worker itself wrote, and outcomes.
  // `owners` (#17): replicas of a namespace record and read their partitions' fencing records.
  worker: {
    // `subject-keys` (#21): each data subject's own key, created on its first event.
    consume: ['events', 'state', 'models', 'review', 'owners', 'subject-keys'],
    produce: ['predictions', 'actions', 'review', 'dead-letter', 'state', 'audit', 'owners', 'subject-keys'],
  },
  producer: { produce: ['events'] },
  // Analysts decide review items: they read the queue and write outcomes and the decision as a
  // label (#23; also `beamline features label` for confirmed feedback). Never `audit` (#21): the
  // worker writes each outcome's audit record, so the trail's writers are workers and the
  // control plane alone.
  analyst: { consume: ['review'], produce: ['review', 'labels'] },
};

/** Namespace property keys workers read for data governance. */
export const PROPERTY_PREFIX = 'beamline.';
export const propertyKeys = {
  managedBy: 'beamline.managed-by',
  region: 'beamline.region',
  // The namespace's home cluster: where its topics are produced, so where replication starts.
  cluster: 'beamline.cluster',
  sensitivity: (topic: string) => `beamline.topic.${topic}.sensitivity`,
  // The worker reads this one to tokenize PII at ingress: one definition for writer and reader.
  pii: piiPropertyKey,
  // #21: the data subject (crypto-shredding), read by the worker and `beamline gdpr`.
  subject: subjectPropertyKey,
  role: (kind: RoleKind) => `beamline.role.${kind}`,
};

/**
 * The fixed topic layout of a Beamline namespace: one catalogue for the tenant spec (which
 * creates the topics) and the worker (which writes the outputs). No I/O.
 */

/** Every topic a namespace has; a spec tunes each one but cannot add, drop or rename one. */
export const TOPIC_KINDS = [
  'events',
  'predictions',
  'actions',
  'review',
  'dead-letter',
  'state',
  'models',
  'audit',
  'labels',
  'owners',
  'subject-keys',
] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

/**
 * The topics a worker writes: every topic but its inputs (events), the model feed (models),
 * the ground truth (labels, #23: written by analysts' review decisions and feedback commands)
 * the ownership journal (owners, #17: the replicas' fencing records, outside transactions) and
 * the subjects' keys (subject-keys, #21: recorded outside transactions, before first use).
 */
export type OutputTopic = Exclude<TopicKind, 'events' | 'models' | 'labels' | 'owners' | 'subject-keys'>;

/** Topics workers write: deduplicated by default so retries never double-publish. */
export const OUTPUT_TOPICS: readonly TopicKind[] = [
  'predictions',
  'actions',
  'review',
  'dead-letter',
  'state',
  'audit',
] satisfies readonly OutputTopic[];

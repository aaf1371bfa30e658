/** The human review queue (`beamline review`): items and analysts' outcomes on the `review` topic. */
export { REVIEW_ERROR_CODES } from './errors.ts';
export {
  ReviewQueue,
  decodeReviewPayload,
  type ReviewEntry,
  type ReviewItem,
  type ReviewOutcome,
  type ReviewQueueOptions,
  type ReviewStats,
  type ReviewStatus,
} from './review-queue.ts';

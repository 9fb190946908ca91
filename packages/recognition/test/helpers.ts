import type { VoteOptions } from "../src/trackVote.ts";

/**
 * Round vote thresholds for tests (not a model's): named at 0.9 with a 0.02 margin, "probable" from 0.87, a one-shot
 * track from 0.95, two agreeing shots and a 60% share, one unknown shot, track fusion from 3 shots.
 */
export const TEST_VOTE: VoteOptions = {
  nameThreshold: 0.9,
  probableThreshold: 0.87,
  minMargin: 0.02,
  minAgreeing: 2,
  minShare: 0.6,
  singleShotThreshold: 0.95,
  minUnknownShots: 1,
  fusedMinShots: 3,
};

/**
 * What assess.ts makes of one VM before the host-wide arbitration: left as it is (Untouched), or managed
 * with its figures and its wish (Managed), which the plan's steps then turn into a target.
 */
import type { VmView } from '../../snapshot.js';
import type { VmKnobs } from './args.js';
import type { MemoryDecisionKind } from './decision.js';
import type { OverReclaim } from './signals.js';

/** A VM the policy leaves as it is this cycle; it still counts against its host's budget. */
export interface Untouched {
  managed: false;
  vm: VmView;
  kind: 'unmanaged' | 'stale' | 'hold';
  reason: string;
  /** Host memory it holds or will hold, MiB (the larger of its balloon and a target in flight; 0 when it holds none). */
  accountMiB: number;
  /** MiB a grow in flight will still take from the host. */
  inflightGrowMiB: number;
  automation: VmKnobs['automation'];
}

/** A VM the policy manages: its figures (MiB) and its wish before arbitration. */
export interface Managed {
  managed: true;
  vm: VmView;
  knobs: VmKnobs;
  groups: string[];
  auto: boolean;
  actualMiB: number;
  unusedMiB: number;
  usedMiB: number;
  maximumMiB: number;
  limitMiB: number;
  /** The balloon plus a job in flight: the target in flight if any, else actual. */
  committedMiB: number;
  trendMiBPerSec: number;
  /** What the lookahead uses: max(0, trend, last report-to-report rate), MiB/s. */
  consumptionMiBPerSec: number;
  predictedUnusedMiB: number;
  /** used + consumption over the lookahead + the middle of the unused band. */
  desiredMiB: number;
  /** No release goes below this: max(reservation, used + minUnused + consumption over the lookahead). */
  releaseFloorMiB: number;
  /**
   * Reclaim under pressure stops here: the release floor plus the hysteresis (so noise does not make the
   * VM hungry again) plus two intervals of its consumption (so the floor has not passed the target by the
   * time the release lands and the next plans see it — else they would trim it back, past the budget).
   */
  pressureFloorMiB: number;
  releaseStepMiB: number;
  /**
   * Where this cycle's release step starts: what is committed — a release in flight below the balloon, or a
   * grow in flight above it (the grow may have landed before the engine sees it: on the lab a grow to 792 MiB
   * landed while the engine still read 732, and a step from 732 took the balloon 133 MiB down at once).
   */
  releaseFromMiB: number;
  warmup: boolean;
  thrashing: boolean;
  swapInKiBPerSec: number;
  /** An over-reclaim whose cool-down has not ended. */
  protect: OverReclaim | undefined;
  protectUntilMs: number | undefined;
  sharesPerMiB: number;
  rho: number;
  role: 'grow' | 'release' | 'hold';
  /** Why it has that role. */
  why: string;
  /** Kind to report when it ends up holding (hold, warmup, protect, starved). */
  holdKind: MemoryDecisionKind;
  urgent: boolean;
  /** Grow: the integer target it asks for. */
  requestMiB: number;
  /** Grow: MiB above committed needed to reach reservation and used + minUnused (granted first). */
  minNeedMiB: number;
  /**
   * Grow: MiB above committed to reach the lean target used + minUnused + hysteresis + consumption over the
   * lookahead (granted second, and what pressure reclaims for); the rest of the request (up to the middle
   * of the unused band) comes last, from what is left.
   */
  leanNeedMiB: number;
  /** Planned target, MiB: an integer when it changes, else committed (nothing to send). */
  targetMiB: number;
  /** MiB taken from it under host pressure. */
  reclaimedMiB: number;
  /** Taken back because it is above its fair share of the budget while others below theirs need memory. */
  rebalanced?: boolean;
}

export type Assessed = Untouched | Managed;

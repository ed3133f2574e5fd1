/** The host plan's second step (plan.ts): trims are paid from the budget before anything else. */
import type { HostState } from './host-state.js';

/**
 * A trim (a release in flight raised back to the floor because the guest's use rose, wishes.ts) is a grow
 * from what is committed: it comes first out of the budget, and only as far as the budget allows.
 */
export function payTrims(h: HostState): void {
  for (const m of h.managed) {
    if (!m.auto || m.role !== 'release' || !(m.targetMiB > m.committedMiB)) continue;
    const raise = Math.max(0, Math.min(m.targetMiB - m.committedMiB, h.leftBudgetMiB));
    const next = Math.floor(m.committedMiB + raise);
    if (next - m.committedMiB > m.knobs.hysteresisMiB) {
      m.targetMiB = next;
      h.leftBudgetMiB -= next - m.committedMiB;
    } else {
      m.targetMiB = m.committedMiB;
      m.role = 'hold';
      m.why += '; no budget to raise it';
    }
  }
}

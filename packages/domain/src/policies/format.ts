/** Rounding of the figures plans write into their decisions: one decimal (MiB, %, MiB/s, KiB/s, points). */

/** x rounded to one decimal, for a decision's inputs. */
export function r1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** x rounded to three decimals (imbalances, loads), for a decision's inputs. */
export function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** x rounded to one decimal, for a decision's reason. */
export function fmt(x: number): string {
  return String(r1(x));
}

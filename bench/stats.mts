/** Summaries the benchmarks print. */

/** The middle value (the upper one of the two middles for an even count); NaN for none. */
export const median = (xs: number[]): number =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN;

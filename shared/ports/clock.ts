/** Epoch milliseconds now: `Date.now` in production, a moving test or demo clock elsewhere. */
export type Clock = () => number;

/** What the auth code needs from the outside world; tests and benchmarks pass their own. */
export interface AuthDeps {
  /** `fetch` for every provider request. */
  readonly fetch: typeof fetch;
  /** The clock, in ms since the epoch. */
  readonly now: () => number;
  /** Upper bound for one provider request, in ms. */
  readonly requestTimeoutMs: number;
}

export const defaultAuthDeps: AuthDeps = {
  fetch: (...args) => fetch(...args),
  now: () => Date.now(),
  requestTimeoutMs: 30_000,
};

/**
 * Retry timing for HIS deliveries: capped exponential backoff with full
 * jitter, floored so a retry never comes back at once.
 */

export const RETRY_BASE_MS = 2_000;
export const RETRY_CAP_MS = 30 * 60 * 1000;
export const RETRY_FLOOR_MS = 1_000;


/**
 * Returns the wait before attempt `failedAttempts + 1`: a uniform random
 * value up to min(cap, base * 2^(failedAttempts - 1)), at least the floor.
 * `random` returns values in [0, 1); tests pass a fixed one.
 */
export function retryDelayMs(failedAttempts: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, failedAttempts - 1);
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(exponent, 30));
  return Math.max(RETRY_FLOOR_MS, Math.floor(random() * ceiling));
}

/** A clinic's retry budget per event; the defaults live in the clinics table. */
export interface RetryBudget {
  maxAttempts: number;
  maxAgeMs: number;
}

/**
 * True when an event that just failed has used up its budget: its attempts
 * since the budget started, or the time since then.
 */
export function isRetryBudgetSpent(budget: RetryBudget, failedAttempts: number, budgetStartedAt: number, now: number): boolean {
  return failedAttempts >= budget.maxAttempts || now - budgetStartedAt >= budget.maxAgeMs;
}

import type { AttemptResult } from "./attempt";

/**
 * What a delivery attempt means for the event:
 * - delivered: the HIS answered 2xx;
 * - retry: the HIS may accept it later (no answer, a timeout, 408, 429,
 *   5xx, or a 3xx redirect that the gateway does not follow);
 * - reject: the HIS refused this event (any other 4xx), so retrying would
 *   only repeat the refusal and the event goes to the dead letters at once.
 */
export type AttemptOutcome = { kind: "delivered" } | { kind: "retry"; retryAfterMs: number | null } | { kind: "reject" };

const RETRYABLE_CLIENT_ERRORS = new Set([408, 429]);

export function classifyAttempt(result: AttemptResult): AttemptOutcome {
  if (result.delivered) {
    return { kind: "delivered" };
  }
  const status = result.status;
  if (status !== null && status >= 400 && status < 500 && !RETRYABLE_CLIENT_ERRORS.has(status)) {
    return { kind: "reject" };
  }
  return { kind: "retry", retryAfterMs: result.retryAfterMs };
}

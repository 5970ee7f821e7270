import { retryDelayMs } from "./backoff";

/**
 * Circuit breaker for one clinic's HIS. After CIRCUIT_THRESHOLD retryable
 * failures in a row the circuit opens: the queue then sends one probe at a
 * time, spaced by the same capped backoff, until the HIS responds 2xx.
 * The state lives in the queue's storage, so it survives eviction.
 */
export const CIRCUIT_THRESHOLD = 5;

export interface CircuitState {
  consecutiveFailures: number;
  /** When the next probe may go out while the circuit is open, in UTC milliseconds. */
  nextProbeAt: number | null;
}

export const CLOSED_CIRCUIT: CircuitState = { consecutiveFailures: 0, nextProbeAt: null };

export function isOpen(circuit: CircuitState): boolean {
  return circuit.consecutiveFailures >= CIRCUIT_THRESHOLD;
}

/** Returns the circuit after a retryable failure at `now`. */
export function afterFailure(circuit: CircuitState, now: number, retryAfterMs: number | null, random: () => number = Math.random): CircuitState {
  const consecutiveFailures = circuit.consecutiveFailures + 1;
  if (consecutiveFailures < CIRCUIT_THRESHOLD) {
    return { consecutiveFailures, nextProbeAt: null };
  }
  const probeNumber = consecutiveFailures - CIRCUIT_THRESHOLD + 1;
  const wait = Math.max(retryDelayMs(probeNumber, random), retryAfterMs ?? 0);
  return { consecutiveFailures, nextProbeAt: now + wait };
}

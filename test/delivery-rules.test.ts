import { describe, expect, it } from "vitest";
import type { AttemptResult } from "../src/delivery/attempt";
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from "../src/delivery/attempt";
import { isRetryBudgetSpent } from "../src/delivery/backoff";
import { afterFailure, CIRCUIT_THRESHOLD, CLOSED_CIRCUIT, isOpen } from "../src/delivery/circuit";
import { classifyAttempt } from "../src/delivery/outcome";

function result(status: number | null, retryAfterMs: number | null = null): AttemptResult {
  return { delivered: status !== null && status >= 200 && status < 300, status, error: status === null ? "fetch failed" : null, retryAfterMs, durationMs: 5 };
}

describe("classifyAttempt", () => {
  it("counts 2xx as delivered", () => {
    expect(classifyAttempt(result(204))).toEqual({ kind: "delivered" });
  });

  it.each([408, 429, 500, 502, 503, 504, 302])("retries status %i", (status) => {
    expect(classifyAttempt(result(status)).kind).toBe("retry");
  });

  it("retries when no response came", () => {
    expect(classifyAttempt(result(null)).kind).toBe("retry");
  });

  it.each([400, 401, 403, 404, 409, 410, 422])("rejects status %i at once", (status) => {
    expect(classifyAttempt(result(status))).toEqual({ kind: "reject" });
  });

  it("carries the Retry-After wait", () => {
    expect(classifyAttempt(result(503, 30_000))).toEqual({ kind: "retry", retryAfterMs: 30_000 });
  });
});

describe("parseRetryAfter", () => {
  const now = Date.UTC(2026, 11, 4, 12, 0, 0);

  it("reads seconds", () => {
    expect(parseRetryAfter("30", now)).toBe(30_000);
  });

  it("reads an HTTP date", () => {
    expect(parseRetryAfter("Fri, 04 Dec 2026 12:01:00 GMT", now)).toBe(60_000);
  });

  it("treats a past date as no wait", () => {
    expect(parseRetryAfter("Fri, 04 Dec 2026 11:00:00 GMT", now)).toBe(0);
  });

  it("caps a very long wait", () => {
    expect(parseRetryAfter("9999999", now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it("ignores an absent or unreadable header", () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
  });
});

describe("circuit", () => {
  it("stays closed below the threshold", () => {
    let circuit = CLOSED_CIRCUIT;
    for (let failure = 1; failure < CIRCUIT_THRESHOLD; failure++) {
      circuit = afterFailure(circuit, 0, null);
    }
    expect(isOpen(circuit)).toBe(false);
    expect(circuit.nextProbeAt).toBeNull();
  });

  it("opens at the threshold and schedules a probe", () => {
    let circuit = CLOSED_CIRCUIT;
    for (let failure = 1; failure <= CIRCUIT_THRESHOLD; failure++) {
      circuit = afterFailure(circuit, 1_000, null, () => 0.5);
    }
    expect(isOpen(circuit)).toBe(true);
    expect(circuit.nextProbeAt).toBe(2_000);
  });

  it("waits at least the Retry-After before probing", () => {
    const open = { consecutiveFailures: CIRCUIT_THRESHOLD, nextProbeAt: 0 };
    expect(afterFailure(open, 1_000, 120_000, () => 0).nextProbeAt).toBe(121_000);
  });
});

describe("retry budget", () => {
  const budget = { maxAttempts: 3, maxAgeMs: 60_000 };

  it("is spent after the maximum attempts", () => {
    expect(isRetryBudgetSpent(budget, 2, 0, 1_000)).toBe(false);
    expect(isRetryBudgetSpent(budget, 3, 0, 1_000)).toBe(true);
  });

  it("is spent after the maximum age", () => {
    expect(isRetryBudgetSpent(budget, 1, 0, 59_999)).toBe(false);
    expect(isRetryBudgetSpent(budget, 1, 0, 60_000)).toBe(true);
  });
});

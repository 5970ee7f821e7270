import { describeError } from "../http/problem";
import type { DeliveryPayload } from "./payload";
import { signStandardWebhook } from "./sign";

/** How long the gateway waits for the HIS to respond to one delivery. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** Characters of a failed HIS response body kept in D1 for the operator; they are never logged. */
const MAX_ANSWER_CHARS = 512;

export interface DeliveryTarget {
  url: string;
  /** The clinic's signing secrets: the current one, and the next one during a rotation. */
  signingSecrets: string[];
}

export interface AttemptResult {
  delivered: boolean;
  /** HTTP status of the HIS response; null when none came. */
  status: number | null;
  /** Why the attempt failed: the start of the HIS response body, or the network error. */
  error: string | null;
  /** The wait the HIS asked for in a Retry-After header, in milliseconds. */
  retryAfterMs: number | null;
  durationMs: number;
}

/**
 * POSTs one event (a CloudEvent or a FHIR Bundle) to the HIS with Standard Webhooks headers. The
 * webhook-id is the event id on every attempt, so the HIS can drop a
 * repeat; the timestamp and signature are fresh each time. Only a 2xx
 * response counts as delivered. Every failure, including a timeout, is
 * returned as a result rather than thrown.
 */
export async function attemptDelivery(target: DeliveryTarget, eventId: string, payload: DeliveryPayload, now: number): Promise<AttemptResult> {
  const started = Date.now();
  try {
    const headers = await signStandardWebhook(target.signingSecrets, eventId, Math.floor(now / 1000), payload.body);
    const response = await fetch(target.url, {
      method: "POST",
      headers: { "content-type": payload.contentType, "user-agent": "chup-edge-gateway", ...headers },
      body: payload.body,
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    const delivered = response.status >= 200 && response.status < 300;
    const responseText = delivered ? null : (await response.text()).slice(0, MAX_ANSWER_CHARS);
    if (delivered) {
      await response.body?.cancel();
    }
    return {
      delivered,
      status: response.status,
      error: delivered ? null : `HIS responded ${response.status}: ${responseText}`,
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), Date.now()),
      durationMs: Date.now() - started,
    };
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    return {
      delivered: false,
      status: null,
      error: timedOut ? `HIS response timed out after ${DELIVERY_TIMEOUT_MS} ms` : describeError(error),
      retryAfterMs: null,
      durationMs: Date.now() - started,
    };
  }
}

/** Longest Retry-After the gateway honours; a larger value is capped so an event is not parked for days. */
export const MAX_RETRY_AFTER_MS = 6 * 60 * 60 * 1000;

/**
 * Reads a Retry-After header (RFC 9110): a number of seconds or an HTTP
 * date. Returns milliseconds from now, capped at MAX_RETRY_AFTER_MS, or
 * null when the header is absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (header === null || header.trim() === "") {
    return null;
  }
  const text = header.trim();
  const millis = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(millis)) {
    return null;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, millis));
}

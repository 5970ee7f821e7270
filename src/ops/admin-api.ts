/**
 * In-process client of the admin JSON API. The operations page reads and
 * acts through the same route modules as /admin/v1, so validation, errors,
 * logging and the fields returned stay the same. Only the admin token check
 * is left out, because the page checks its session before any call here.
 */
import { type Context, Hono } from "hono";
import { clinicLifecycleRoutes } from "../admin/clinics";
import { deliveryRoutes } from "../admin/delivery";
import { quarantineRoutes } from "../admin/quarantine";
import { openDatabase } from "../db/client";
import type { AppEnv } from "../env";
import { handleError, handleNotFound, type ProblemDetails } from "../http/problem";

/** Prefix the admin route modules are mounted under in src/index.ts. */
const ADMIN_CLINICS_PATH = "/admin/v1/clinics";

const adminApp = new Hono<AppEnv>();
adminApp.use(async (c, next) => {
  c.set("db", openDatabase(c.env.DB));
  await next();
});
adminApp.route(ADMIN_CLINICS_PATH, clinicLifecycleRoutes);
adminApp.route(ADMIN_CLINICS_PATH, deliveryRoutes);
adminApp.route(ADMIN_CLINICS_PATH, quarantineRoutes);
adminApp.onError(handleError);
adminApp.notFound(handleNotFound);

/** Result of one admin API call: the parsed JSON body, or the problem it returned (null when it sent none). */
export type AdminResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; problem: ProblemDetails | null };

/** The parts of a Hono context an admin call needs. */
export interface RequestScope {
  req: { url: string };
  env: Env;
  executionCtx: Context["executionCtx"];
}

/**
 * Calls an admin route in process. `path` is relative to /admin/v1/clinics.
 * The request keeps the page's origin, because re-ingest builds schema URLs from it.
 */
export async function callAdmin<T>(c: RequestScope, method: "GET" | "POST", path: string, body?: unknown): Promise<AdminResult<T>> {
  const url = new URL(`${ADMIN_CLINICS_PATH}${path}`, c.req.url);
  const init: RequestInit = body === undefined ? { method } : { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const response = await adminApp.fetch(new Request(url, init), c.env, c.executionCtx);
  const text = await response.text();
  if (response.ok) {
    return { ok: true, status: response.status, body: (text === "" ? null : JSON.parse(text)) as T };
  }
  return { ok: false, status: response.status, problem: parseProblem(text) };
}

function parseProblem(text: string): ProblemDetails | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && typeof (parsed as ProblemDetails).detail === "string" ? (parsed as ProblemDetails) : null;
  } catch {
    return null;
  }
}

/** A clinic as GET /admin/v1/clinics lists it: describeClinic, which leaves out every secret. */
export interface ClinicSummary {
  id: string;
  name: string;
  timezone: string;
  disabled: boolean;
  delivery: { mode: "push" | "pull" | "both"; url: string };
}

/** Response of GET /admin/v1/clinics/{clinicId}/queue. */
export interface QueueStats {
  depth: number;
  oldestUndeliveredAgeSeconds: number | null;
  counts: Record<string, number>;
  paused: boolean;
  circuit: { state: "open" | "closed"; consecutiveFailures: number; nextProbeAt: string | null };
  pull: { pending: number; counts: Record<string, number>; oldestPendingAgeSeconds: number | null };
}

/** One entry of GET /admin/v1/clinics/{clinicId}/dead-letters. */
export interface DeadLetter {
  eventId: string;
  type: string;
  attempts: number;
  receivedAt: string | null;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
}

/** One entry of GET /admin/v1/clinics/{clinicId}/quarantine, which leaves out the body. */
export interface QuarantineEntry {
  id: string;
  receivedAt: string;
  status: number;
  reason: string;
  detail: string;
  bodyTruncated: boolean;
  reingestedAt: string | null;
  reingestedEventId: string | null;
}

/** One entry of GET /admin/v1/clinics/{clinicId}/events. */
export interface EventSummary {
  id: string;
  type: string;
  receivedAt: string | null;
  deliveryState: string;
  attempts: number;
  lastStatus: number | null;
  deliveredAt: string | null;
}

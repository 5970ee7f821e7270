import { type Context, Hono } from "hono";
import { getClinic } from "../clinics";
import type { AppEnv } from "../env";
import { describeError, ProblemError } from "../http/problem";
import { CLINIC_ID_PATTERN } from "../http/params";
import { log } from "../log";
import { recordMetric } from "../metrics";
import { quarantineRequest } from "../quarantine";
import { BodyTooLargeError, readBodyCapped } from "./body";
import { ingestDeps, processWebhook } from "./pipeline";

/** Statuses whose requests are kept in quarantine for an operator to inspect. */
const QUARANTINED_STATUSES = new Set([400, 401, 403, 413, 415]);

/**
 * POST /webhooks/chup/{clinicId}: verify, dedupe, store, enqueue. A new
 * event gets 202 only after it is stored in D1 and in its delivery queue.
 * A repeat gets 200 with the first copy's event id.
 */
export const ingestRoutes = new Hono<AppEnv>().post("/:clinicId", async (c) => {
  const clinicId = c.req.param("clinicId");
  const receivedAt = Date.now();
  if (!CLINIC_ID_PATTERN.test(clinicId)) {
    throw new ProblemError(404, "clinic-not-found", "Clinic not found", "The clinic id in the URL must match [a-z0-9-]{1,64}.");
  }

  const db = c.var.db;
  const clinic = await getClinic(db, clinicId);
  if (!clinic) {
    log.warn("webhook for unknown clinic", { clinic_id: clinicId, status: 404 });
    throw new ProblemError(404, "clinic-not-found", "Clinic not found", `No clinic "${clinicId}" is configured on this gateway.`);
  }

  let body: Uint8Array = new Uint8Array(0);
  try {
    body = await readBodyCapped(c.req.raw);
    if (clinic.disabledAt !== null) {
      throw new ProblemError(403, "clinic-disabled", "Clinic disabled", `Clinic "${clinicId}" is disabled on this gateway; the webhook is kept in quarantine.`);
    }
    const result = await processWebhook(ingestDeps(c), clinic, body, c.req.header("content-type") ?? null, receivedAt);
    recordMetric(c.env, result.body.status === "accepted" ? "ingested" : "duplicate", clinicId, "", Date.now() - receivedAt);
    return c.json(result.body, result.status);
  } catch (error) {
    if (error instanceof ProblemError && QUARANTINED_STATUSES.has(error.status)) {
      const truncated = error instanceof BodyTooLargeError;
      const quarantineId = await quarantineOrUnavailable(c, {
        clinicId,
        status: error.status,
        reason: error.code,
        detail: error.message,
        headers: c.req.raw.headers,
        body: truncated ? error.prefix : body,
        bodyTruncated: truncated,
        receivedAt,
      });
      log.warn("webhook rejected", { clinic_id: clinicId, status: error.status, reason: error.code, quarantine_id: quarantineId });
      recordMetric(c.env, "rejected", clinicId, error.code);
      throw new ProblemError(error.status, error.code, error.title, error.message, {
        extensions: { ...error.extensions, quarantineId },
        headers: error.headers,
      });
    }
    throw error;
  }
});

type IngestContext = Context<AppEnv>;

/** Stores a rejected request. When that fails too, it returns 503 so the sender retries and nothing is lost. */
async function quarantineOrUnavailable(c: IngestContext, rejected: Parameters<typeof quarantineRequest>[1]): Promise<string> {
  try {
    return await quarantineRequest(c.var.db, rejected);
  } catch (error) {
    log.error("rejected webhook not quarantined", { clinic_id: rejected.clinicId, reason: rejected.reason, error: describeError(error) });
    throw new ProblemError(503, "storage-unavailable", "Storage unavailable", "The gateway could not keep the rejected webhook for inspection. Send it again later.", {
      headers: { "retry-after": "30" },
    });
  }
}

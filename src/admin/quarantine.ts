import { zValidator } from "@hono/zod-validator";
import { and, desc, eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { requireClinic } from "../clinics";
import { quarantine } from "../db/schema";
import type { AppEnv } from "../env";
import { ProblemError } from "../http/problem";
import { clinicParam, quarantineParam } from "../http/params";
import { validationProblem } from "../http/validation";
import { ingestDeps, processWebhook } from "../ingest/pipeline";
import { log } from "../log";

export const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

type QuarantineRow = typeof quarantine.$inferSelect;

function describeEntry(row: QuarantineRow, withBody: boolean) {
  return {
    id: row.id,
    receivedAt: new Date(row.receivedAt).toISOString(),
    status: row.status,
    reason: row.reason,
    detail: row.detail,
    headers: row.headers,
    bodyEncoding: row.bodyEncoding,
    bodyTruncated: row.bodyTruncated,
    ...(withBody ? { body: row.body } : { bodyLength: row.body.length }),
    reingestedAt: row.reingestedAt === null ? null : new Date(row.reingestedAt).toISOString(),
    reingestedEventId: row.reingestedEventId,
  };
}

async function findEntry(c: Context<AppEnv>, clinicId: string, quarantineId: string): Promise<QuarantineRow> {
  const row = await c.var.db
    .select()
    .from(quarantine)
    .where(and(eq(quarantine.clinicId, clinicId), eq(quarantine.id, quarantineId)))
    .get();
  if (!row) {
    throw new ProblemError(404, "quarantine-entry-not-found", "Quarantine entry not found", `Clinic "${clinicId}" has no quarantined request ${quarantineId}.`);
  }
  return row;
}

function bodyBytes(row: QuarantineRow): Uint8Array {
  return row.bodyEncoding === "base64" ? Uint8Array.from(atob(row.body), (char) => char.charCodeAt(0)) : new TextEncoder().encode(row.body);
}

/** Quarantined webhook requests of a clinic, under /admin/v1/clinics/{clinicId}/quarantine. */
export const quarantineRoutes = new Hono<AppEnv>()
  .get("/:clinicId/quarantine", zValidator("param", clinicParam, validationProblem), zValidator("query", listQuery, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    const rows = await c.var.db
      .select()
      .from(quarantine)
      .where(eq(quarantine.clinicId, clinicId))
      .orderBy(desc(quarantine.receivedAt))
      .limit(c.req.valid("query").limit)
      .all();
    return c.json({ quarantine: rows.map((row) => describeEntry(row, false)) });
  })
  .get("/:clinicId/quarantine/:quarantineId", zValidator("param", quarantineParam, validationProblem), async (c) => {
    const { clinicId, quarantineId } = c.req.valid("param");
    return c.json(describeEntry(await findEntry(c, clinicId, quarantineId), true));
  })
  /**
   * Runs a quarantined request through ingest again, for example after the
   * clinic's webhook secret was corrected. Accepted, it becomes an event
   * (once: a repeat is a duplicate); rejected again, it stays in quarantine
   * and the response gives the reason.
   */
  .post("/:clinicId/quarantine/:quarantineId/reingest", zValidator("param", quarantineParam, validationProblem), async (c) => {
    const { clinicId, quarantineId } = c.req.valid("param");
    const row = await findEntry(c, clinicId, quarantineId);
    const clinic = await requireClinic(c.var.db, clinicId);
    if (row.bodyTruncated) {
      throw new ProblemError(409, "body-truncated", "Body truncated", "Only the first bytes of this over-size request were kept, so it cannot be ingested again.");
    }

    try {
      const result = await processWebhook(ingestDeps(c), clinic, bodyBytes(row), row.headers["content-type"] ?? null, Date.now());
      await c.var.db.update(quarantine).set({ reingestedAt: Date.now(), reingestedEventId: result.body.eventId }).where(eq(quarantine.id, row.id));
      log.info("quarantined webhook re-ingested", { clinic_id: clinicId, quarantine_id: row.id, event_id: result.body.eventId, outcome: result.body.status });
      return c.json({ ...result.body, quarantineId: row.id }, result.status);
    } catch (error) {
      if (error instanceof ProblemError && error.status < 500) {
        throw new ProblemError(422, "still-rejected", "Still rejected", `The request was rejected again: ${error.message}`, {
          extensions: { reason: error.code, quarantineId: row.id },
        });
      }
      throw error;
    }
  });

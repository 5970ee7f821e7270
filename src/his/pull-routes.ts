import { zValidator } from "@hono/zod-validator";
import { and, eq, inArray } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { type Clinic, getClinic } from "../clinics";
import { events } from "../db/schema";
import type { AppEnv } from "../env";
import { describeError, ProblemError } from "../http/problem";
import { validationProblem } from "../http/validation";
import { log } from "../log";

/** Maximum long-poll wait, in seconds. When it runs out the response is an empty batch. */
export const MAX_WAIT_SECONDS = 25;

const CURSOR = /^\d{1,15}$/;

export const pullQuery = z.object({
  after: z.string().regex(CURSOR, { message: "must be a cursor returned as nextCursor, or 0" }).default("0"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  wait: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS, { message: `must be at most ${MAX_WAIT_SECONDS} seconds` }).default(0),
});

export const ackBody = z
  .strictObject({
    cursor: z.string().regex(CURSOR, { message: "must be a cursor returned as nextCursor" }).optional(),
    eventIds: z.array(z.string().regex(/^evt_[0-9a-f]{32}$/)).min(1).max(500).optional(),
  })
  .refine((body) => body.cursor !== undefined || body.eventIds !== undefined, { message: 'send "cursor" or "eventIds"' });

async function pullClinic(c: Context<AppEnv>): Promise<Clinic> {
  const clinic = await getClinic(c.var.db, c.req.param("clinicId") ?? "");
  if (!clinic || clinic.deliveryMode === "push") {
    throw new ProblemError(409, "pull-not-enabled", "Pull not enabled", 'This clinic delivers by push; an operator sets delivery.mode to "pull" or "both" to use the pull API.');
  }
  return clinic;
}

/**
 * Pull API for a HIS behind a firewall, under /his/v1/{clinicId}; the HIS
 * token check runs first. Events come in queue order with the same ids as
 * push deliveries, and stay until acknowledged.
 */
export const pullRoutes = new Hono<AppEnv>()
  .get("/:clinicId/events", zValidator("query", pullQuery, validationProblem), async (c) => {
    const clinic = await pullClinic(c);
    const { after, limit, wait } = c.req.valid("query");
    const queue = c.env.DELIVERY_QUEUE.get(c.env.DELIVERY_QUEUE.idFromName(clinic.id));
    const batch = await queue.pullEvents(Number(after), limit, wait * 1000, {
      visibilityTimeoutMs: clinic.pullVisibilitySeconds * 1000,
      retentionMs: clinic.pullRetentionSeconds * 1000,
    });
    return c.json({
      events: batch.events.map(({ body, ...pulled }) => ({ ...pulled, event: JSON.parse(body) as unknown })),
      nextCursor: batch.nextCursor,
      visibilityTimeoutSeconds: clinic.pullVisibilitySeconds,
    });
  })
  .post("/:clinicId/ack", zValidator("json", ackBody, validationProblem), async (c) => {
    const clinic = await pullClinic(c);
    const { cursor, eventIds } = c.req.valid("json");
    const queue = c.env.DELIVERY_QUEUE.get(c.env.DELIVERY_QUEUE.idFromName(clinic.id));
    const acked = await queue.ackPulled({ ...(cursor === undefined ? {} : { upTo: Number(cursor) }), ...(eventIds === undefined ? {} : { eventIds }) });

    // For a pull-only clinic the acknowledgement is the delivery; with both
    // modes the push delivery keeps the D1 state.
    if (clinic.deliveryMode === "pull" && acked.length > 0) {
      try {
        await c.var.db
          .update(events)
          .set({ deliveryState: "delivered", deliveredAt: Date.now() })
          .where(and(eq(events.clinicId, clinic.id), inArray(events.id, acked)));
      } catch (error) {
        log.error("pull acknowledgement not copied to D1", { clinic_id: clinic.id, count: acked.length, error: describeError(error) });
      }
    }
    return c.json({ acknowledged: acked.length });
  });

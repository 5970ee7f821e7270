import { zValidator } from "@hono/zod-validator";
import { and, asc, desc, eq } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { requireClinic } from "../clinics";
import { DELIVERY_STATES, deliveryAttempts, events } from "../db/schema";
import type { AppEnv } from "../env";
import { ProblemError } from "../http/problem";
import { clinicParam, eventParam } from "../http/params";
import { validationProblem } from "../http/validation";
import { isoOrNull } from "../normalize/fields";


export const listQuery = z.object({
  type: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const replayBody = z
  .strictObject({
    eventIds: z.array(z.string().regex(/^evt_[0-9a-f]{32}$/)).min(1).max(500).optional(),
    type: z.string().max(100).optional(),
    all: z.literal(true).optional(),
  })
  .refine((body) => body.eventIds !== undefined || body.type !== undefined || body.all === true, {
    message: 'name the dead letters to replay: "eventIds", "type", or "all": true',
  });

export const eventsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  state: z.enum(DELIVERY_STATES).optional(),
});

export const discardBody = z.strictObject({ reason: z.string().trim().min(3).max(500) });

/** Returns the clinic's delivery queue after checking the clinic exists. */
async function queueOf(c: Context<AppEnv>, clinicId: string) {
  await requireClinic(c.var.db, clinicId);
  return c.env.DELIVERY_QUEUE.get(c.env.DELIVERY_QUEUE.idFromName(clinicId));
}

/** Operator routes for a clinic's deliveries, under /admin/v1/clinics/{clinicId}. */
export const deliveryRoutes = new Hono<AppEnv>()
  .get("/:clinicId/queue", zValidator("param", clinicParam, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    const queue = await queueOf(c, clinicId);
    return c.json({ clinicId, ...(await queue.stats()) });
  })
  .get("/:clinicId/dead-letters", zValidator("param", clinicParam, validationProblem), zValidator("query", listQuery, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    const { type, limit } = c.req.valid("query");
    const queue = await queueOf(c, clinicId);
    return c.json({ deadLetters: await queue.deadLetters(type === undefined ? {} : { type }, limit) });
  })
  .post("/:clinicId/dead-letters/replay", zValidator("param", clinicParam, validationProblem), zValidator("json", replayBody, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    const { eventIds, type } = c.req.valid("json");
    const queue = await queueOf(c, clinicId);
    const filter = { ...(eventIds === undefined ? {} : { eventIds }), ...(type === undefined ? {} : { type }) };
    return c.json({ replayed: await queue.replay(filter) });
  })
  .post(
    "/:clinicId/dead-letters/:eventId/discard",
    zValidator("param", eventParam, validationProblem),
    zValidator("json", discardBody, validationProblem),
    async (c) => {
      const { clinicId, eventId } = c.req.valid("param");
      const queue = await queueOf(c, clinicId);
      if (!(await queue.discard(eventId, c.req.valid("json").reason))) {
        throw new ProblemError(404, "dead-letter-not-found", "Dead letter not found", `Event ${eventId} is not a dead letter of clinic "${clinicId}".`);
      }
      return c.body(null, 204);
    },
  )
  .post("/:clinicId/delivery/pause", zValidator("param", clinicParam, validationProblem), async (c) => {
    const queue = await queueOf(c, c.req.valid("param").clinicId);
    await queue.pause();
    return c.json(await queue.stats());
  })
  .post("/:clinicId/delivery/resume", zValidator("param", clinicParam, validationProblem), async (c) => {
    const queue = await queueOf(c, c.req.valid("param").clinicId);
    await queue.resume();
    return c.json(await queue.stats());
  })
  .get("/:clinicId/events", zValidator("param", clinicParam, validationProblem), zValidator("query", eventsQuery, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    const { limit, state } = c.req.valid("query");
    const rows = await c.var.db
      .select({
        id: events.id,
        type: events.type,
        subject: events.subject,
        receivedAt: events.receivedAt,
        deliveryState: events.deliveryState,
        attempts: events.attempts,
        lastStatus: events.lastStatus,
        deliveredAt: events.deliveredAt,
      })
      .from(events)
      .where(and(eq(events.clinicId, clinicId), state === undefined ? undefined : eq(events.deliveryState, state)))
      .orderBy(desc(events.receivedAt))
      .limit(limit)
      .all();
    return c.json({ events: rows.map((row) => ({ ...row, receivedAt: isoOrNull(row.receivedAt), deliveredAt: isoOrNull(row.deliveredAt) })) });
  })
  .get("/:clinicId/events/:eventId", zValidator("param", eventParam, validationProblem), async (c) => {
    const { clinicId, eventId } = c.req.valid("param");
    const event = await c.var.db
      .select()
      .from(events)
      .where(and(eq(events.clinicId, clinicId), eq(events.id, eventId)))
      .get();
    if (!event) {
      throw new ProblemError(404, "event-not-found", "Event not found", `Clinic "${clinicId}" has no event ${eventId}.`);
    }
    const attempts = await c.var.db.select().from(deliveryAttempts).where(eq(deliveryAttempts.eventId, eventId)).orderBy(asc(deliveryAttempts.attempt)).all();
    return c.json({
      eventId: event.id,
      type: event.type,
      subject: event.subject,
      chupEvent: event.chupEvent,
      receivedAt: isoOrNull(event.receivedAt),
      delivery: {
        state: event.deliveryState,
        attempts: event.attempts,
        lastStatus: event.lastStatus,
        lastError: event.lastError,
        nextAttemptAt: isoOrNull(event.nextAttemptAt),
        deliveredAt: isoOrNull(event.deliveredAt),
      },
      attempts: attempts.map((attempt) => ({
        attempt: attempt.attempt,
        startedAt: isoOrNull(attempt.startedAt),
        status: attempt.status,
        error: attempt.error,
        durationMs: attempt.durationMs,
        outcome: attempt.outcome,
      })),
    });
  });

import { zValidator } from "@hono/zod-validator";
import { type Context, Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { getClinic } from "../clinics";
import type { AppEnv } from "../env";
import { ProblemError } from "../http/problem";
import { clinicParam } from "../http/params";
import { validationProblem } from "../http/validation";
import { localDate } from "../normalize/fields";
import { appointmentsOn, liveQueue, patientJourney, visitWithHistory, waitTimes } from "./queries";
import { pullRoutes } from "./pull-routes";
import { clinicOfToken } from "./tokens";

/**
 * Requires `Authorization: Bearer <HIS token>` for the clinic in the URL.
 * A token of another clinic gets the same 401 as an unknown one, so tokens
 * do not reveal which clinics exist.
 */
const requireHisToken = createMiddleware<AppEnv>(async (c, next) => {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  const clinicId = match?.[1] ? await clinicOfToken(c.var.db, match[1]) : null;
  if (clinicId === null || clinicId !== c.req.param("clinicId")) {
    throw new ProblemError(401, "unauthorized", "Unauthorized", "Send a HIS token of this clinic as `Authorization: Bearer <token>`; an operator creates one with POST /admin/v1/clinics/{clinicId}/his-tokens.", {
      headers: { "www-authenticate": 'Bearer realm="his"' },
    });
  }
  await next();
});

export const ID_PATTERN = /^[0-9]{1,30}$/;

export const dateQuery = z.object({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: "must be a date as YYYY-MM-DD" })
    .optional(),
});

/** Resolves the `date` query parameter, defaulting to today in the clinic's time zone. */
async function dateOf(c: Context<AppEnv>, date: string | undefined): Promise<string> {
  if (date) {
    return date;
  }
  const clinic = await getClinic(c.var.db, c.req.param("clinicId") ?? "");
  return localDate(Date.now(), clinic?.timezone ?? "UTC");
}

/** Read API for a clinic's HIS and dashboards, under /his/v1/{clinicId}. */
export const hisRoutes: Hono<AppEnv> = new Hono<AppEnv>()
  .use("/:clinicId/*", requireHisToken)
  .get("/:clinicId/queue", zValidator("param", clinicParam, validationProblem), zValidator("query", dateQuery, validationProblem), async (c) => {
    const date = await dateOf(c, c.req.valid("query").date);
    return c.json(await liveQueue(c.var.db, c.req.valid("param").clinicId, date));
  })
  .get("/:clinicId/visits/:visitId", async (c) => {
    const visitId = c.req.param("visitId");
    if (!ID_PATTERN.test(visitId)) {
      throw new ProblemError(400, "invalid-request", "Invalid request", "The visit id must be a decimal number.");
    }
    const visit = await visitWithHistory(c.var.db, c.req.param("clinicId"), visitId);
    if (!visit) {
      throw new ProblemError(404, "visit-not-found", "Visit not found", `No visit ${visitId} is known for this clinic.`);
    }
    return c.json(visit);
  })
  .get("/:clinicId/appointments", zValidator("query", dateQuery, validationProblem), async (c) => {
    const date = await dateOf(c, c.req.valid("query").date);
    return c.json(await appointmentsOn(c.var.db, c.req.param("clinicId"), date));
  })
  .get("/:clinicId/patients/:clientId/journey", zValidator("query", dateQuery, validationProblem), async (c) => {
    const clientId = c.req.param("clientId");
    if (!ID_PATTERN.test(clientId)) {
      throw new ProblemError(400, "invalid-request", "Invalid request", "The client id must be a decimal number.");
    }
    const date = await dateOf(c, c.req.valid("query").date);
    return c.json(await patientJourney(c.var.db, c.req.param("clinicId"), clientId, date));
  })
  .route("/", pullRoutes)
  .get("/:clinicId/wait-times", zValidator("query", dateQuery, validationProblem), async (c) => {
    const date = await dateOf(c, c.req.valid("query").date);
    return c.json(await waitTimes(c.var.db, c.req.param("clinicId"), date));
  });

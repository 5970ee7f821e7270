import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { z } from "zod";
import { requireClinic } from "../clinics";
import type { AppEnv } from "../env";
import { createHisToken, listHisTokens, revokeHisToken } from "../his/tokens";
import { ProblemError } from "../http/problem";
import { clinicParam } from "../http/params";
import { validationProblem } from "../http/validation";

export const tokenBody = z.strictObject({ name: z.string().trim().min(1).max(100) });

/** Routes under /admin/v1/clinics/{clinicId}/his-tokens. */
export const hisTokenRoutes = new Hono<AppEnv>()
  .post("/:clinicId/his-tokens", zValidator("param", clinicParam, validationProblem), zValidator("json", tokenBody, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    await requireClinic(c.var.db, clinicId);
    const created = await createHisToken(c.var.db, clinicId, c.req.valid("json").name, Date.now());
    return c.json({ ...created, note: "The token is shown only once; store it in the HIS now." }, 201);
  })
  .get("/:clinicId/his-tokens", zValidator("param", clinicParam, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    await requireClinic(c.var.db, clinicId);
    return c.json({ tokens: await listHisTokens(c.var.db, clinicId) });
  })
  .delete("/:clinicId/his-tokens/:tokenId", zValidator("param", clinicParam.extend({ tokenId: z.string().max(100) }), validationProblem), async (c) => {
    const { clinicId, tokenId } = c.req.valid("param");
    if (!(await revokeHisToken(c.var.db, clinicId, tokenId, Date.now()))) {
      throw new ProblemError(404, "token-not-found", "Token not found", `Clinic "${clinicId}" has no live HIS token "${tokenId}".`);
    }
    return c.body(null, 204);
  });

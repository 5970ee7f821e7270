import { zValidator } from "@hono/zod-validator";
import { type Context, Hono } from "hono";
import { z } from "zod";
import { describeClinic, getClinic, listClinics, putClinic, requireClinic, updateClinic } from "../clinics";
import type { AppEnv } from "../env";
import { ProblemError } from "../http/problem";
import { openSecretBox } from "../secrets/box";
import { clinicParam } from "../http/params";
import { validationProblem } from "../http/validation";

const DEFAULT_TIMEZONE = "Asia/Kuala_Lumpur";

/** Standard Webhooks secrets are "whsec_" and base64 of 24 to 64 random bytes. */
const MIN_SIGNING_KEY_BYTES = 24;
const MAX_SIGNING_KEY_BYTES = 64;

function isIanaTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function signingKeyLength(secret: string): number {
  try {
    return atob(secret.slice("whsec_".length)).length;
  } catch {
    return 0;
  }
}

export const clinicSettingsSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  timezone: z
    .string()
    .default(DEFAULT_TIMEZONE)
    .refine(isIanaTimeZone, { message: "must be an IANA time zone name such as Asia/Kuala_Lumpur" }),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, { message: "must be an ISO 3166-1 alpha-2 code such as MY" })
    .default("MY"),
  retentionDays: z.number().int().min(1).max(3650).default(30),
  webhookSecrets: z
    .array(z.string().min(8, { message: "must be at least 8 characters" }).max(512))
    .min(1, { message: "must hold one secret, or two during a rotation" })
    .max(2, { message: "must hold one secret, or two during a rotation" }),
  delivery: z
    .strictObject({
      mode: z.enum(["push", "pull", "both"]),
      format: z.enum(["cloudevents", "fhir"]).default("cloudevents"),
      concurrency: z.number().int().min(1).max(32).default(4),
      ratePerSecond: z.number().int().min(1).max(500).default(20),
      retry: z
        .strictObject({
          maxAttempts: z.number().int().min(1).max(10_000).default(200),
          maxAgeHours: z.number().min(1).max(24 * 30).default(72),
        })
        .default({ maxAttempts: 200, maxAgeHours: 72 }),
      url: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }).optional(),
      pull: z
        .strictObject({
          visibilityTimeoutSeconds: z.number().int().min(5).max(3600).default(60),
          retentionDays: z.number().min(1).max(30).default(7),
        })
        .default({ visibilityTimeoutSeconds: 60, retentionDays: 7 }),
      signingSecret: z
        .string()
        .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, { message: 'must be "whsec_" followed by base64' })
        .refine(
          (secret) => {
            const length = signingKeyLength(secret);
            return length >= MIN_SIGNING_KEY_BYTES && length <= MAX_SIGNING_KEY_BYTES;
          },
          { message: `must encode ${MIN_SIGNING_KEY_BYTES} to ${MAX_SIGNING_KEY_BYTES} bytes` },
        ),
    })
    .refine((delivery) => delivery.mode === "pull" || delivery.url !== undefined, {
      message: 'is required when the mode is "push" or "both"',
      path: ["url"],
    }),
});


/** Routes under /admin/v1/clinics; the admin token check runs before them. */
export const clinicRoutes = new Hono<AppEnv>()
  .put(
    "/:clinicId",
    zValidator("param", clinicParam, validationProblem),
    zValidator("json", clinicSettingsSchema, validationProblem),
    async (c) => {
      const { clinicId } = c.req.valid("param");
      const created = await putClinic(c.var.db, await openSecretBox(c.env), clinicId, c.req.valid("json"), Date.now());
      const clinic = await getClinic(c.var.db, clinicId);
      if (!clinic) {
        throw new Error(`clinic ${clinicId} missing right after it was written`);
      }
      return c.json(describeClinic(clinic), created ? 201 : 200);
    },
  )
  .get("/:clinicId", zValidator("param", clinicParam, validationProblem), async (c) => {
    return c.json(describeClinic(await requireClinic(c.var.db, c.req.valid("param").clinicId)));
  });

export const secretBody = z.strictObject({ secret: z.string().min(8, { message: "must be at least 8 characters" }).max(512) });
export const signingSecretBody = z.strictObject({ secret: clinicSettingsSchema.shape.delivery.shape.signingSecret });

/** Responds with the clinic as it now is. */
async function describeCurrent(c: Context<AppEnv>, clinicId: string): Promise<Response> {
  return c.json(describeClinic(await requireClinic(c.var.db, clinicId)));
}

/**
 * Clinic lifecycle and secret rotation, under /admin/v1/clinics.
 *
 * Chup webhook secret: add the new one (both are accepted), switch Chup
 * over, then retire the oldest. Signing secret: add the next one (each
 * delivery then carries a signature with both), update the HIS, then
 * promote it.
 */
export const clinicLifecycleRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const clinics = await listClinics(c.var.db);
    return c.json({ clinics: clinics.map(describeClinic) });
  })
  .post("/:clinicId/disable", zValidator("param", clinicParam, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    await requireClinic(c.var.db, clinicId);
    await updateClinic(c.var.db, clinicId, { disabledAt: Date.now() }, Date.now());
    return describeCurrent(c, clinicId);
  })
  .post("/:clinicId/enable", zValidator("param", clinicParam, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    await requireClinic(c.var.db, clinicId);
    await updateClinic(c.var.db, clinicId, { disabledAt: null }, Date.now());
    return describeCurrent(c, clinicId);
  })
  .post("/:clinicId/webhook-secrets", zValidator("param", clinicParam, validationProblem), zValidator("json", secretBody, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    const clinic = await requireClinic(c.var.db, clinicId);
    if (clinic.webhookSecrets.length >= 2) {
      throw new ProblemError(409, "rotation-in-progress", "Rotation in progress", "The clinic already has two webhook secrets. Retire the oldest with POST …/webhook-secrets/retire-oldest before adding another.");
    }
    const encrypted = await (await openSecretBox(c.env)).encrypt(c.req.valid("json").secret);
    await updateClinic(c.var.db, clinicId, { webhookSecrets: [...clinic.webhookSecrets, encrypted] }, Date.now());
    return describeCurrent(c, clinicId);
  })
  .post("/:clinicId/webhook-secrets/retire-oldest", zValidator("param", clinicParam, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    const clinic = await requireClinic(c.var.db, clinicId);
    if (clinic.webhookSecrets.length < 2) {
      throw new ProblemError(409, "no-rotation", "No rotation in progress", "The clinic has only one webhook secret. Add the new one with POST …/webhook-secrets first.");
    }
    await updateClinic(c.var.db, clinicId, { webhookSecrets: clinic.webhookSecrets.slice(1) }, Date.now());
    return describeCurrent(c, clinicId);
  })
  .post("/:clinicId/signing-secrets", zValidator("param", clinicParam, validationProblem), zValidator("json", signingSecretBody, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    await requireClinic(c.var.db, clinicId);
    const encrypted = await (await openSecretBox(c.env)).encrypt(c.req.valid("json").secret);
    await updateClinic(c.var.db, clinicId, { signingSecretNext: encrypted }, Date.now());
    return describeCurrent(c, clinicId);
  })
  .post("/:clinicId/signing-secrets/promote", zValidator("param", clinicParam, validationProblem), async (c) => {
    const { clinicId } = c.req.valid("param");
    const clinic = await requireClinic(c.var.db, clinicId);
    if (clinic.signingSecretNext === null) {
      throw new ProblemError(409, "no-rotation", "No rotation in progress", "The clinic has no next signing secret; add one first.");
    }
    await updateClinic(c.var.db, clinicId, { signingSecret: clinic.signingSecretNext, signingSecretNext: null }, Date.now());
    return describeCurrent(c, clinicId);
  });

import { z } from "zod";
import { clinicSettingsSchema, secretBody, signingSecretBody } from "../admin/clinics";
import { clinicParam } from "../http/params";
import { tokenBody } from "../admin/his-tokens";
import type { OperationSpec } from "./operation";
import { CLINIC_NOT_FOUND, INVALID_REQUEST, SECRETS_KEY_NOT_CONFIGURED } from "./problems";
import { component, described, isoTime } from "./schema";

const deliverySettings = clinicSettingsSchema.shape.delivery.shape;

// Request bodies: the schemas the routes validate with.
component(
  "ClinicSettings",
  clinicSettingsSchema,
  [
    "A clinic's settings. Fields with a default may be left out. Rules that JSON Schema cannot express: `timezone` must be an IANA",
    "time zone name, `delivery.url` must be an http or https URL and is required when `delivery.mode` is `push` or `both`,",
    "and `delivery.signingSecret` must encode 24 to 64 bytes.",
  ].join(" "),
);
component("WebhookSecretRequest", secretBody, "A new Chup webhook secret.");
component("SigningSecretRequest", signingSecretBody, "The next signing secret: `whsec_` and base64 of 24 to 64 random bytes.");
component("HisTokenRequest", tokenBody, "A name that tells operators where the token is used.");

/** The clinic as src/clinics.ts describeClinic() returns it: settings without any secret. */
const clinicView = component(
  "Clinic",
  z.object({
    id: z.string(),
    name: z.string(),
    timezone: described(z.string(), "IANA time zone used to read appointment dates and times."),
    country: described(z.string(), "ISO 3166-1 alpha-2 code used to read phone numbers without a country code."),
    disabled: described(z.boolean(), "True while webhooks for the clinic are rejected with 403 and quarantined."),
    retentionDays: z.number(),
    webhookSecretCount: described(z.int().min(1).max(2), "Two while a webhook secret rotation is under way."),
    signingSecretRotation: described(z.boolean(), "True while a next signing secret waits to be promoted."),
    delivery: z.object({
      mode: deliverySettings.mode,
      format: deliverySettings.format.unwrap(),
      url: described(z.string(), "The HIS endpoint, or empty for a pull-only clinic."),
      concurrency: z.int(),
      ratePerSecond: z.int(),
      retry: z.object({ maxAttempts: z.int(), maxAgeHours: z.number() }),
      pull: z.object({ visibilityTimeoutSeconds: z.int(), retentionDays: z.number() }),
    }),
    createdAt: isoTime,
    updatedAt: isoTime,
  }),
  "A clinic's settings as stored, without any secret.",
);

const clinicList = component("ClinicList", z.object({ clinics: z.array(clinicView) }));

const hisTokenCreated = component(
  "HisTokenCreated",
  z.object({
    id: z.string(),
    name: z.string(),
    token: described(z.string(), "The bearer token for /his/v1. This response is the only place it is shown."),
    createdAt: isoTime,
    note: z.string(),
  }),
);

const hisTokenList = component(
  "HisTokenList",
  z.object({
    tokens: z.array(z.object({ id: z.string(), name: z.string(), createdAt: isoTime, revokedAt: isoTime.nullable() })),
  }),
  "The clinic's HIS tokens, revoked ones included, without their values.",
);

// NOTE: the revoke route declares its `tokenId` rule inline (a string of at
// most 100 characters), so it cannot be imported. This copy must follow it.
const tokenParams = clinicParam.extend({ tokenId: z.string().max(100) });

const reencryptResult = component(
  "ReencryptResult",
  z.object({ clinicsRewritten: described(z.int(), "Clinics with at least one secret that was not encrypted under SECRETS_KEY.") }),
);

const CLINIC_SETTINGS_EXAMPLE = {
  name: "Klinik Setia",
  timezone: "Asia/Kuala_Lumpur",
  webhookSecrets: ["the webhook secret set in Chup"],
  delivery: {
    mode: "push",
    url: "https://his.example.org/chup-events",
    signingSecret: "whsec_ZXhhbXBsZSBzaWduaW5nIGtleSwgbm90IHNlY3JldCE=",
  },
};

const CLINIC_RESPONSE = { description: "The clinic as it now is.", body: clinicView };

/** Clinic settings, secret rotation and HIS tokens under /admin/v1/clinics, and the maintenance routes. */
export const adminClinicOperations: readonly OperationSpec[] = [
  {
    method: "get",
    path: "/admin/v1/clinics",
    operationId: "listClinics",
    tag: "clinics",
    summary: "List clinics",
    auth: "admin",
    responses: { 200: { description: "Every clinic, ordered by id.", body: clinicList } },
    problems: [],
  },
  {
    method: "put",
    path: "/admin/v1/clinics/{clinicId}",
    operationId: "putClinic",
    tag: "clinics",
    summary: "Create or replace a clinic",
    description: "Secrets are stored encrypted and never returned. `delivery.url` is required when `delivery.mode` is `push` or `both`.",
    auth: "admin",
    pathParams: clinicParam,
    requestBody: { schema: clinicSettingsSchema, example: CLINIC_SETTINGS_EXAMPLE },
    responses: {
      201: { description: "The clinic was created.", body: clinicView },
      200: { description: "The clinic's settings were replaced.", body: clinicView },
    },
    problems: [INVALID_REQUEST, SECRETS_KEY_NOT_CONFIGURED],
  },
  {
    method: "get",
    path: "/admin/v1/clinics/{clinicId}",
    operationId: "getClinic",
    tag: "clinics",
    summary: "Get a clinic",
    auth: "admin",
    pathParams: clinicParam,
    responses: { 200: { description: "The clinic.", body: clinicView } },
    problems: [INVALID_REQUEST, CLINIC_NOT_FOUND],
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/disable",
    operationId: "disableClinic",
    tag: "clinics",
    summary: "Disable a clinic",
    description: "Its webhooks are then rejected with 403 and kept in quarantine. Events already queued are still delivered.",
    auth: "admin",
    pathParams: clinicParam,
    responses: { 200: CLINIC_RESPONSE },
    problems: [INVALID_REQUEST, CLINIC_NOT_FOUND],
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/enable",
    operationId: "enableClinic",
    tag: "clinics",
    summary: "Enable a clinic",
    auth: "admin",
    pathParams: clinicParam,
    responses: { 200: CLINIC_RESPONSE },
    problems: [INVALID_REQUEST, CLINIC_NOT_FOUND],
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/webhook-secrets",
    operationId: "addWebhookSecret",
    tag: "clinics",
    summary: "Add a Chup webhook secret",
    description: "Starts a rotation: both secrets are accepted until the oldest is retired. Switch Chup to the new secret, then retire the oldest.",
    auth: "admin",
    pathParams: clinicParam,
    requestBody: { schema: secretBody, example: { secret: "the new webhook secret set in Chup" } },
    responses: { 200: CLINIC_RESPONSE },
    problems: [
      INVALID_REQUEST,
      CLINIC_NOT_FOUND,
      { status: 409, type: "rotation-in-progress", when: "the clinic already holds two webhook secrets" },
      SECRETS_KEY_NOT_CONFIGURED,
    ],
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/webhook-secrets/retire-oldest",
    operationId: "retireOldestWebhookSecret",
    tag: "clinics",
    summary: "Retire the oldest webhook secret",
    auth: "admin",
    pathParams: clinicParam,
    responses: { 200: CLINIC_RESPONSE },
    problems: [INVALID_REQUEST, CLINIC_NOT_FOUND, { status: 409, type: "no-rotation", when: "the clinic holds only one webhook secret" }],
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/signing-secrets",
    operationId: "addSigningSecret",
    tag: "clinics",
    summary: "Add the next signing secret",
    description: "Each delivery then carries a signature with the current and with the next secret. Update the HIS, then promote the next secret.",
    auth: "admin",
    pathParams: clinicParam,
    requestBody: { schema: signingSecretBody, example: { secret: "whsec_bmV4dCBleGFtcGxlIHNpZ25pbmcga2V5LCBub3Qgc2VjcmV0" } },
    responses: { 200: CLINIC_RESPONSE },
    problems: [INVALID_REQUEST, CLINIC_NOT_FOUND, SECRETS_KEY_NOT_CONFIGURED],
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/signing-secrets/promote",
    operationId: "promoteSigningSecret",
    tag: "clinics",
    summary: "Promote the next signing secret",
    auth: "admin",
    pathParams: clinicParam,
    responses: { 200: CLINIC_RESPONSE },
    problems: [INVALID_REQUEST, CLINIC_NOT_FOUND, { status: 409, type: "no-rotation", when: "the clinic has no next signing secret" }],
  },
  {
    method: "post",
    path: "/admin/v1/clinics/{clinicId}/his-tokens",
    operationId: "createHisToken",
    tag: "his-tokens",
    summary: "Create a HIS token",
    description: "The token works on /his/v1 for this clinic only. Only its SHA-256 is stored, so the response is the only place it is shown.",
    auth: "admin",
    pathParams: clinicParam,
    requestBody: { schema: tokenBody, example: { name: "HIS production" } },
    responses: { 201: { description: "The token was created.", body: hisTokenCreated } },
    problems: [INVALID_REQUEST, CLINIC_NOT_FOUND],
  },
  {
    method: "get",
    path: "/admin/v1/clinics/{clinicId}/his-tokens",
    operationId: "listHisTokens",
    tag: "his-tokens",
    summary: "List a clinic's HIS tokens",
    auth: "admin",
    pathParams: clinicParam,
    responses: { 200: { description: "The clinic's tokens.", body: hisTokenList } },
    problems: [INVALID_REQUEST, CLINIC_NOT_FOUND],
  },
  {
    method: "delete",
    path: "/admin/v1/clinics/{clinicId}/his-tokens/{tokenId}",
    operationId: "revokeHisToken",
    tag: "his-tokens",
    summary: "Revoke a HIS token",
    description: "The token stops working at once.",
    auth: "admin",
    pathParams: tokenParams,
    responses: { 204: { description: "The token was revoked." } },
    problems: [INVALID_REQUEST, { status: 404, type: "token-not-found", when: "the clinic has no live HIS token with this id" }],
  },
  {
    method: "post",
    path: "/admin/v1/maintenance/reencrypt-secrets",
    operationId: "reencryptSecrets",
    tag: "maintenance",
    summary: "Re-encrypt every clinic secret under SECRETS_KEY",
    description: [
      "Run it after a SECRETS_KEY rotation, with the old key set as SECRETS_KEY_PREVIOUS. Once it succeeds, SECRETS_KEY_PREVIOUS can be",
      "deleted. A secret encrypted under a key that is neither of the two makes it fail with 500.",
    ].join(" "),
    auth: "admin",
    responses: { 200: { description: "How many clinics were rewritten.", body: reencryptResult } },
    problems: [SECRETS_KEY_NOT_CONFIGURED],
  },
];

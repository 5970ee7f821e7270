import { z } from "zod";
import { CLINIC_ID_PATTERN } from "../http/params";
import { SCHEMA_DOCUMENTS } from "../schemas";
import type { OperationSpec } from "./operation";
import { CLINIC_NOT_FOUND, SECRETS_KEY_NOT_CONFIGURED, STORAGE_UNAVAILABLE } from "./problems";
import { component, described, eventId } from "./schema";

// The webhook route checks its clinic id and envelope by hand, not with
// zod, so the schemas below describe what src/ingest/ accepts.

const webhookParams = z.object({ clinicId: z.string().regex(CLINIC_ID_PATTERN) });

const chupWebhook = component(
  "ChupWebhook",
  z.looseObject({
    payload: z.looseObject({
      event: described(z.string().min(1), "Chup event name, e.g. `live_queue_created`. docs/events.md maps each to a CloudEvent type."),
      timestamp: described(z.unknown(), "When Chup sent the event, e.g. `2024-01-18T20:48:00+08:00`.").optional(),
      data: described(z.looseObject({}), "The record the event is about, as Chup sends it. A missing or null value is rejected."),
    }),
    signature: described(
      z.string().regex(/^[0-9a-fA-F]{64}$/),
      "HMAC-SHA256 of the `payload` value with the clinic's webhook secret, as 64 hex digits (PHP `hash_hmac('sha256', json_encode($payload), $secret)`).",
    ),
  }),
  "A Chup Online webhook body: the event and the signature over it.",
);

export const webhookAccepted = component(
  "WebhookAccepted",
  z.object({ status: z.literal("accepted"), eventId: eventId() }),
  "The webhook was stored in D1 and queued for the HIS.",
);

export const webhookDuplicate = component(
  "WebhookDuplicate",
  z.object({ status: z.literal("duplicate"), eventId: eventId("Id the first copy of this webhook got.") }),
  "The same webhook was accepted before, so nothing is relayed again.",
);

const schemaFileParams = z.object({ file: z.enum([...SCHEMA_DOCUMENTS.keys()] as [string, ...string[]]) });

const eventDataSchema = component(
  "EventDataSchema",
  z.looseObject({ $schema: z.string(), $id: z.string() }),
  "A JSON Schema 2020-12 document. `$id` is a tag URI, not the URL the document was fetched from.",
);

const serviceStatus = component("ServiceStatus", z.object({ service: z.literal("chup-edge-gateway"), status: z.literal("ok") }));

const WEBHOOK_EXAMPLE = {
  payload: {
    event: "live_queue_created",
    timestamp: "2024-01-18T20:48:00+08:00",
    data: {
      id: 19738,
      registered_client_id: 3364,
      state: 1,
      state_name: "In Queue",
      service_id: 206,
      service_name: "Registration",
      created_at: "2024-01-18T20:48:00+08:00",
      updated_at: "2024-01-18T20:48:00+08:00",
    },
  },
  signature: "0".repeat(64),
};

/** The service status, the Chup webhook and the event data schemas. */
export const serviceOperations: readonly OperationSpec[] = [
  {
    method: "get",
    path: "/",
    operationId: "getServiceStatus",
    tag: "service",
    summary: "Service status",
    description: "Returns a fixed body while the Worker runs. It checks neither D1 nor the delivery queues.",
    auth: "none",
    responses: { 200: { description: "The Worker is running.", body: serviceStatus } },
    problems: [],
  },
  {
    method: "post",
    path: "/webhooks/chup/{clinicId}",
    operationId: "receiveChupWebhook",
    tag: "webhooks",
    summary: "Receive a Chup webhook",
    description: [
      "Chup Online posts each event here. The gateway verifies the signature over the exact bytes of `payload`,",
      "drops a repeat, stores the event in D1 and queues it for the clinic's HIS.",
      "",
      "The body may be at most 1 MiB. Its content type may be `application/json`, any `+json` type, `text/plain`,",
      "`text/json` or none. A request answered 400, 401, 403, 413 or 415 is kept in quarantine and the problem's",
      "`quarantineId` names it. README.md shows how to sign a test webhook.",
    ].join("\n"),
    auth: "none",
    pathParams: webhookParams,
    requestBody: { schema: chupWebhook, example: WEBHOOK_EXAMPLE },
    responses: {
      202: { description: "Accepted: stored and queued for the HIS.", body: webhookAccepted },
      200: { description: "A repeat of a webhook accepted before.", body: webhookDuplicate },
    },
    problems: [
      { status: 400, type: "invalid-json", when: "the body is not valid JSON" },
      { status: 400, type: "invalid-encoding", when: "the body is not valid UTF-8" },
      { status: 400, type: "missing-field", when: "`payload`, `payload.event`, `payload.data` or `signature` is absent; `field` names it" },
      { status: 400, type: "invalid-field", when: "one of those fields has the wrong type; `field` names it" },
      { status: 401, type: "invalid-signature", when: "the signature is not 64 hex digits or matches none of the clinic's webhook secrets" },
      { status: 403, type: "clinic-disabled", when: "the clinic is disabled on this gateway" },
      { ...CLINIC_NOT_FOUND, when: "no clinic has this id, or the id does not match `[a-z0-9-]{1,64}`" },
      { status: 413, type: "body-too-large", when: "the body is over 1 MiB, and only its first 64 KiB are kept in quarantine" },
      { status: 415, type: "unsupported-media-type", when: "the content type cannot carry JSON, e.g. form-encoded" },
      { status: 429, type: "rate-limited", when: "this clinic sent more webhooks than the gateway accepts per minute", headers: ["Retry-After"] },
      STORAGE_UNAVAILABLE,
      SECRETS_KEY_NOT_CONFIGURED,
    ],
  },
  {
    method: "get",
    path: "/schemas/v1/{file}",
    operationId: "getEventDataSchema",
    tag: "schemas",
    summary: "JSON Schema of an event type's data",
    description: "Each relayed CloudEvent's `dataschema` points here. `defs.json` contains the definitions the other schemas reference.",
    auth: "none",
    pathParams: schemaFileParams,
    responses: { 200: { description: "The schema document.", body: eventDataSchema, mediaType: "application/schema+json" } },
    problems: [{ status: 404, type: "not-found", when: "no schema has this file name" }],
  },
];

import type { Context } from "hono";
import type { AppEnv } from "../env";
import { deriveEventId, findInKv, rememberInKv } from "../dedupe";
import { type Clinic, clinicSecrets } from "../clinics";
import { openSecretBox } from "../secrets/box";
import type { Database } from "../db/client";
import type { DeliveryQueue, DeliveryRoutes } from "../delivery/queue";
import { type DeliveryPayload, deliveryPayload } from "../delivery/payload";
import { getEvent, markQueued, markSkipped, storeEvent } from "../events";
import { describeError, ProblemError } from "../http/problem";
import { log } from "../log";
import { type NormalizedEvent, normalizeChupEvent, rawChupEvent } from "../normalize/cloudevent";
import { parseTimestamp } from "../normalize/fields";
import { stateStatements } from "../state/apply";
import { loadNormalizeContext } from "../state/context";
import { SignatureError, verifyChupSignature } from "../verify/signature";
import { decodeBody, type ChupEnvelope, parseEnvelope } from "./envelope";

/** Dependencies of the ingest pipeline, taken from the request's environment. */
export interface IngestDeps {
  env: Env;
  db: Database;
  /** Keeps a background task (the KV write) alive after the response. */
  waitUntil: (promise: Promise<unknown>) => void;
  /** Origin the gateway is reached at, for the CloudEvents dataschema URLs. */
  origin: string;
}

/** Builds the pipeline's dependencies from a Hono request context. */
export function ingestDeps(c: Context<AppEnv>): IngestDeps {
  return { env: c.env, db: c.var.db, waitUntil: (promise) => c.executionCtx.waitUntil(promise), origin: new URL(c.req.url).origin };
}

export interface IngestResult {
  status: 200 | 202;
  body: { status: "accepted" | "duplicate"; eventId: string };
}

/** Media types that can carry a JSON body; Chup's Laravel client sends application/json. */
export function acceptsJsonBody(contentType: string | null | undefined): boolean {
  if (contentType === undefined || contentType === null || contentType.trim() === "") {
    return true;
  }
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || mediaType.endsWith("+json") || mediaType === "text/plain" || mediaType === "text/json";
}

/**
 * Runs one webhook body through the pipeline: media type, JSON envelope,
 * signature, dedupe, store, enqueue. A rejection is thrown as a
 * ProblemError (400, 401, 415), which the caller quarantines; a storage
 * failure is a 503. The HTTP route and the re-ingest of a quarantined
 * request both come here.
 */
export async function processWebhook(deps: IngestDeps, clinic: Clinic, body: Uint8Array, contentType: string | null, receivedAt: number): Promise<IngestResult> {
  if (!acceptsJsonBody(contentType)) {
    throw new ProblemError(415, "unsupported-media-type", "Unsupported media type", `A Chup webhook body is JSON; content type "${contentType}" cannot carry it.`);
  }
  const envelope = parseEnvelope(decodeBody(body));
  try {
    const { webhookSecrets } = await clinicSecrets(await openSecretBox(deps.env), clinic);
    await verifyChupSignature(envelope.payloadText, envelope.signature, webhookSecrets);
  } catch (error) {
    if (error instanceof SignatureError) {
      throw new ProblemError(401, "invalid-signature", "Invalid signature", error.message);
    }
    throw error;
  }
  return acceptVerified(deps, clinic, envelope, receivedAt);
}

async function acceptVerified(deps: IngestDeps, clinic: Clinic, envelope: ChupEnvelope, receivedAt: number): Promise<IngestResult> {
  const { env } = deps;
  const vars = { db: deps.db };
  const clinicId = clinic.id;
  const signature = envelope.signature.toLowerCase();

  const knownId = await findInKv(env.DEDUPE_KV, clinicId, signature).catch(() => null);
  if (knownId) {
    log.info("duplicate webhook", { clinic_id: clinicId, event_id: knownId, source: "kv" });
    return { status: 200, body: { status: "duplicate", eventId: knownId } };
  }

  const eventId = await deriveEventId(clinicId, signature);
  const queue = env.DELIVERY_QUEUE.get(env.DELIVERY_QUEUE.idFromName(clinicId));

  try {
    const schemaBaseUrl = `${deps.origin}/schemas/v1`;
    const context = await loadNormalizeContext(vars.db, clinic, envelope.payload, schemaBaseUrl);
    const normalized = normalizeOrKeepRaw({ eventId, payload: envelope.payload, receivedAt, context });
    const payload = deliveryPayload(clinic, normalized.cloudEvent);
    const statements = stateStatements(vars.db, {
      clinicId,
      timezone: clinic.timezone,
      eventId,
      webhookTimestamp: parseTimestamp(envelope.payload.timestamp, clinic.timezone),
      normalized,
    });
    const inserted = await storeEvent(
      vars.db,
      { eventId, clinicId, signature, chupEvent: envelope.payload.event, payloadText: envelope.payloadText, normalized, receivedAt },
      statements,
    );

    if (!inserted) {
      // The first copy may have been stored but not yet enqueued (it failed, or
      // it is still in flight). Enqueueing again is harmless: the queue ignores
      // an event id it already holds.
      const existing = await getEvent(vars.db, eventId);
      if (existing?.deliveryState === "received") {
        const stored = { eventId, eventType: existing.type, orderingKey: existing.orderingKey, receivedAt: existing.receivedAt };
        await handOver(vars.db, queue, clinicId, stored, deliveryPayload(clinic, JSON.parse(existing.cloudEvent)), routesOf(clinic));
      }
      deps.waitUntil(rememberInKv(env.DEDUPE_KV, clinicId, signature, eventId).catch(() => undefined));
      log.info("duplicate webhook", { clinic_id: clinicId, event_id: eventId, source: "d1" });
      return { status: 200, body: { status: "duplicate", eventId } };
    }

    const event = { eventId, eventType: normalized.cloudEvent.type, orderingKey: normalized.orderingKey, receivedAt };
    await handOver(vars.db, queue, clinicId, event, payload, routesOf(clinic));
    log.info("webhook accepted", { clinic_id: clinicId, event_id: eventId, type: normalized.cloudEvent.type, latency_ms: Date.now() - receivedAt });
  } catch (error) {
    log.error("webhook not stored", { clinic_id: clinicId, event_id: eventId, error: describeError(error) });
    throw new ProblemError(503, "storage-unavailable", "Storage unavailable", "The gateway could not store the webhook. Send it again later; a repeat is recognised as the same event.", {
      headers: { "retry-after": "30" },
    });
  }

  deps.waitUntil(
    rememberInKv(env.DEDUPE_KV, clinicId, signature, eventId).catch((error: unknown) =>
      log.warn("dedupe key not written to KV", { clinic_id: clinicId, event_id: eventId, error: describeError(error) }),
    ),
  );
  return { status: 202, body: { status: "accepted", eventId } };
}

/**
 * Normalizes a verified payload. Should normalization throw on unforeseen
 * input, the payload is relayed with its data untouched rather than
 * rejected, because Chup cannot fix it by retrying.
 */
function normalizeOrKeepRaw(input: Parameters<typeof normalizeChupEvent>[0]): NormalizedEvent {
  try {
    return normalizeChupEvent(input);
  } catch (error) {
    log.error("normalization failed, relaying the data untouched", { clinic_id: input.context.clinicId, event_id: input.eventId, error: describeError(error) });
    return rawChupEvent(input);
  }
}

/** Returns which ways the clinic's events leave the gateway. */
function routesOf(clinic: Clinic): DeliveryRoutes {
  return { push: clinic.deliveryMode !== "pull", pull: clinic.deliveryMode !== "push" };
}

/**
 * Puts a stored event into the clinic's delivery queue and marks it queued,
 * or marks it skipped when the delivery format has nothing to send.
 */
async function handOver(
  db: Database,
  queue: DurableObjectStub<DeliveryQueue>,
  clinicId: string,
  event: { eventId: string; eventType: string; orderingKey: string; receivedAt: number },
  payload: DeliveryPayload | null,
  routes: DeliveryRoutes,
): Promise<void> {
  if (payload === null) {
    await markSkipped(db, event.eventId);
    return;
  }
  await queue.enqueue(clinicId, { ...event, body: payload.body, contentType: payload.contentType }, routes);
  await markQueued(db, event.eventId);
}

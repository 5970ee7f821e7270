import { type Context, Hono } from "hono";
import { getClinic } from "../clinics";
import { deriveEventId, findInKv, rememberInKv } from "../dedupe";
import type { AppEnv } from "../env";
import { getEvent, markQueued, markSkipped, storeEvent } from "../events";
import type { Database } from "../db/client";
import type { DeliveryQueue, DeliveryRoutes } from "../delivery/queue";
import { type DeliveryPayload, deliveryPayload } from "../delivery/payload";
import { describeError, ProblemError } from "../http/problem";
import { CLINIC_ID_PATTERN } from "../http/params";
import { log } from "../log";
import { type NormalizedEvent, normalizeChupEvent, rawChupEvent } from "../normalize/cloudevent";
import { quarantineRequest } from "../quarantine";
import { stateStatements } from "../state/apply";
import { loadNormalizeContext } from "../state/context";
import { parseTimestamp } from "../normalize/fields";
import type { Clinic } from "../clinics";
import { SignatureError, verifyChupSignature } from "../verify/signature";
import { BodyTooLargeError, readBodyCapped } from "./body";
import { decodeBody, parseEnvelope } from "./envelope";

/** Media types that can carry a JSON body; Chup's Laravel client sends application/json. */
function acceptsJsonBody(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType.trim() === "") {
    return true;
  }
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || mediaType.endsWith("+json") || mediaType === "text/plain" || mediaType === "text/json";
}

/** Statuses whose requests are kept in quarantine for an operator to inspect. */
const QUARANTINED_STATUSES = new Set([400, 401, 413, 415]);

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
    if (!acceptsJsonBody(c.req.header("content-type"))) {
      throw new ProblemError(415, "unsupported-media-type", "Unsupported media type", `A Chup webhook body is JSON; content type "${c.req.header("content-type")}" cannot carry it.`);
    }
    const envelope = parseEnvelope(decodeBody(body));
    try {
      await verifyChupSignature(envelope.payloadText, envelope.signature, clinic.webhookSecrets);
    } catch (error) {
      if (error instanceof SignatureError) {
        throw new ProblemError(401, "invalid-signature", "Invalid signature", error.message);
      }
      throw error;
    }
    return await acceptVerified(c, clinic, envelope, receivedAt);
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
      throw new ProblemError(error.status, error.code, error.title, error.message, {
        extensions: { ...error.extensions, quarantineId },
        headers: error.headers,
      });
    }
    throw error;
  }
});

type IngestContext = Context<AppEnv>;

async function acceptVerified(c: IngestContext, clinic: Clinic, envelope: ReturnType<typeof parseEnvelope>, receivedAt: number): Promise<Response> {
  const { env, var: vars } = c;
  const clinicId = clinic.id;
  const signature = envelope.signature.toLowerCase();

  const knownId = await findInKv(env.DEDUPE_KV, clinicId, signature).catch(() => null);
  if (knownId) {
    log.info("duplicate webhook", { clinic_id: clinicId, event_id: knownId, source: "kv" });
    return c.json({ status: "duplicate", eventId: knownId }, 200);
  }

  const eventId = await deriveEventId(clinicId, signature);
  const queue = env.DELIVERY_QUEUE.get(env.DELIVERY_QUEUE.idFromName(clinicId));

  try {
    const schemaBaseUrl = `${new URL(c.req.url).origin}/schemas/v1`;
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
      c.executionCtx.waitUntil(rememberInKv(env.DEDUPE_KV, clinicId, signature, eventId).catch(() => undefined));
      log.info("duplicate webhook", { clinic_id: clinicId, event_id: eventId, source: "d1" });
      return c.json({ status: "duplicate", eventId }, 200);
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

  c.executionCtx.waitUntil(
    rememberInKv(env.DEDUPE_KV, clinicId, signature, eventId).catch((error: unknown) =>
      log.warn("dedupe key not written to KV", { clinic_id: clinicId, event_id: eventId, error: describeError(error) }),
    ),
  );
  return c.json({ status: "accepted", eventId }, 202);
}

/**
 * Normalizes a verified payload. Should normalization fail on input nobody
 * foresaw, the payload is relayed with its data untouched rather than
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

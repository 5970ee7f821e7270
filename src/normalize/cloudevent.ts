import type { ChupPayload } from "../ingest/envelope";
import type { NormalizeContext } from "./context";
import { normalizeData } from "./data";
import { toUtcIso } from "./fields";
import { classifyEvent, type Resource, resourceOf } from "./types";

/** A CloudEvents 1.0 event in structured JSON mode, as relayed to the HIS. */
export interface ChupCloudEvent {
  specversion: "1.0";
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: "application/json";
  /** URL of the JSON Schema of `data` for this type. */
  dataschema: string;
  /** Extension: the Chup event name exactly as received. */
  chupevent: string;
  /** Extension: the gateway's clinic id. */
  clinicid: string;
  data: Record<string, unknown>;
}

export interface NormalizedEvent {
  cloudEvent: ChupCloudEvent;
  resource: Resource | null;
  /** The Chup id of the entity the event concerns, as a decimal string. */
  entityId: string | null;
  /** Events with the same key are delivered one after another, in the order received. */
  orderingKey: string;
}

/**
 * Builds the CloudEvent for one verified Chup payload. An unknown event
 * name or state does not fail: it keeps its raw value and gets a generic type.
 */
export function normalizeChupEvent(input: { eventId: string; payload: ChupPayload; receivedAt: number; context: NormalizeContext }): NormalizedEvent {
  const { eventId, payload, receivedAt, context } = input;
  const data = normalizeData(payload.data, resourceOf(payload.event)?.resource, context);
  const classified = classifyEvent(payload.event, data, context);
  if (classified.resource !== null) {
    data.gateway = classified.gateway;
  }

  const entityId = typeof data.id === "string" ? data.id : null;
  const subject = classified.collection !== null && entityId !== null ? `${classified.collection}/${entityId}` : undefined;
  const cloudEvent: ChupCloudEvent = {
    specversion: "1.0",
    id: eventId,
    source: `/chup/clinics/${context.clinicId}`,
    type: classified.type,
    ...(subject === undefined ? {} : { subject }),
    time: toUtcIso(payload.timestamp, context.timezone) ?? new Date(receivedAt).toISOString(),
    datacontenttype: "application/json",
    dataschema: `${context.schemaBaseUrl}/${classified.type}.json`,
    chupevent: payload.event,
    clinicid: context.clinicId,
    data,
  };
  return { cloudEvent, resource: classified.resource, entityId, orderingKey: subject ?? `events/${eventId}` };
}

/**
 * Builds a CloudEvent that carries the payload's data untouched, typed
 * "chup.unknown". Ingest uses it when normalization throws on unforeseen
 * input, so a verified webhook is still stored and relayed.
 */
export function rawChupEvent(input: { eventId: string; payload: ChupPayload; receivedAt: number; context: NormalizeContext }): NormalizedEvent {
  const { eventId, payload, receivedAt, context } = input;
  const data = typeof payload.data === "object" && payload.data !== null && !Array.isArray(payload.data) ? (payload.data as Record<string, unknown>) : { value: payload.data };
  const cloudEvent: ChupCloudEvent = {
    specversion: "1.0",
    id: eventId,
    source: `/chup/clinics/${context.clinicId}`,
    type: "chup.unknown",
    time: new Date(receivedAt).toISOString(),
    datacontenttype: "application/json",
    dataschema: `${context.schemaBaseUrl}/chup.unknown.json`,
    chupevent: payload.event,
    clinicid: context.clinicId,
    data,
  };
  return { cloudEvent, resource: null, entityId: null, orderingKey: `events/${eventId}` };
}

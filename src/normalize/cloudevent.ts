import type { ChupPayload } from "../ingest/envelope";
import {
  APPOINTMENT_STATES,
  LIVE_QUEUE_STATES,
  normalizeIds,
  normalizeNotes,
  normalizeState,
  toUtcIso,
  withSeconds,
} from "./fields";

/** A CloudEvents 1.0 event in structured JSON mode, as relayed to the HIS. */
export interface ChupCloudEvent {
  specversion: "1.0";
  id: string;
  source: string;
  type: string;
  subject?: string;
  time: string;
  datacontenttype: "application/json";
  /** Extension: the Chup event name exactly as received. */
  chupevent: string;
  /** Extension: the gateway's clinic id. */
  clinicid: string;
  data: unknown;
}

export interface NormalizedEvent {
  cloudEvent: ChupCloudEvent;
  /** Events with the same key are delivered one after another, in the order received. */
  orderingKey: string;
}

/** Chup's resource for each event name prefix, and the CloudEvents subject collection for it. */
const RESOURCES = [
  { prefix: "live_queue_", resource: "visit", collection: "visits" },
  { prefix: "appointment_", resource: "appointment", collection: "appointments" },
  { prefix: "client_", resource: "client", collection: "clients" },
  { prefix: "service_", resource: "service", collection: "services" },
  { prefix: "staff_", resource: "staff", collection: "staff" },
] as const;

/** Actions Chup names after the resource prefix, e.g. "staffs_updated" in service_staffs_updated. */
const ACTIONS = new Set(["created", "updated", "deleted", "staffs_updated", "services_updated"]);

const LIVE_QUEUE_STATE_NAMES = Object.fromEntries(Object.entries(LIVE_QUEUE_STATES).map(([code, state]) => [code, state.name]));

/**
 * Builds the CloudEvent for one verified Chup payload. An unknown event
 * name or state never fails: it keeps its raw value and gets a generic type.
 */
export function normalizeChupEvent(input: { eventId: string; clinicId: string; payload: ChupPayload; receivedAt: number }): NormalizedEvent {
  const { eventId, clinicId, payload, receivedAt } = input;
  const match = RESOURCES.find((entry) => payload.event.startsWith(entry.prefix));
  const action = match ? payload.event.slice(match.prefix.length) : undefined;
  const known = match !== undefined && action !== undefined && ACTIONS.has(action);

  const data = normalizeData(payload.data, match?.resource);
  const resourceId = isRecord(data) && typeof data.id === "string" ? data.id : undefined;
  const subject = known && resourceId !== undefined ? `${match.collection}/${resourceId}` : undefined;

  const cloudEvent: ChupCloudEvent = {
    specversion: "1.0",
    id: eventId,
    source: `/chup/clinics/${clinicId}`,
    type: known ? eventType(match.resource, action, data) : "chup.unknown",
    ...(subject === undefined ? {} : { subject }),
    time: toUtcIso(payload.timestamp) ?? new Date(receivedAt).toISOString(),
    datacontenttype: "application/json",
    chupevent: payload.event,
    clinicid: clinicId,
    data,
  };
  return { cloudEvent, orderingKey: subject ?? `events/${eventId}` };
}

/**
 * Live queue events are typed by the visit's state ("chup.visit.serving"),
 * and a deleted entry is "chup.visit.deleted". Every other event is typed
 * by resource and action ("chup.appointment.updated").
 */
function eventType(resource: string, action: string, data: unknown): string {
  if (resource !== "visit" || action === "deleted") {
    return `chup.${resource}.${action}`;
  }
  const code = isRecord(data) && isRecord(data.state) ? data.state.code : null;
  const state = typeof code === "number" ? LIVE_QUEUE_STATES[code] : undefined;
  return state ? `chup.visit.${state.slug}` : "chup.visit.state_changed";
}

/**
 * Returns the Chup data with its drift fixed: ids as decimal strings, state
 * as {code, name}, notes as an array and wall-clock times with seconds.
 * The raw state is kept as `state_raw` when it was not a plain integer.
 */
function normalizeData(raw: unknown, resource: string | undefined): unknown {
  const data = normalizeIds(raw);
  if (!isRecord(data)) {
    return data;
  }

  const out: Record<string, unknown> = { ...data };
  if ("state" in data && (resource === "visit" || resource === "appointment")) {
    const names = resource === "visit" ? LIVE_QUEUE_STATE_NAMES : APPOINTMENT_STATES;
    out.state = normalizeState(data.state, data.state_name, names);
    if (typeof data.state !== "number") {
      out.state_raw = data.state;
    }
  }
  if ("notes" in data) {
    out.notes = normalizeNotes(data.notes);
  }
  for (const key of ["time", "original_time", "appointment_time"]) {
    if (key in data) {
      out[key] = withSeconds(data[key]);
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

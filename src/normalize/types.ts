import type { NormalizeContext } from "./context";
import { appointmentInstants, isRecord, sourceUpdatedAt } from "./data";
import { LIVE_QUEUE_STATES } from "./fields";

/** Chup's resource for each event name prefix, and the CloudEvents subject collection for it. */
export const RESOURCES = [
  { prefix: "live_queue_", resource: "visit", collection: "visits" },
  { prefix: "appointment_", resource: "appointment", collection: "appointments" },
  { prefix: "client_", resource: "client", collection: "clients" },
  { prefix: "service_", resource: "service", collection: "services" },
  { prefix: "staff_", resource: "staff", collection: "staff" },
] as const;

export type Resource = (typeof RESOURCES)[number]["resource"];

/** Chup's actions per resource, and the CloudEvent type suffix each becomes where the action alone decides it. */
const ACTION_TYPES: Record<Resource, Record<string, string>> = {
  visit: { created: "", updated: "", deleted: "deleted" },
  appointment: { created: "booked", updated: "", deleted: "deleted" },
  client: { created: "created", updated: "updated", deleted: "deleted" },
  service: { created: "created", updated: "updated", deleted: "deleted", staffs_updated: "staff_assignment_changed" },
  staff: { created: "created", updated: "updated", deleted: "deleted", services_updated: "service_assignment_changed" },
};

/** Reschedule modes by Chup's reschedule_state code; 1 is "Not Rescheduled". */
const RESCHEDULE_MODES: Record<number, string> = { 2: "manual" };

const CANCELLED_BY_SYSTEM = /cancel+ed by system/i;
const VISIT_TRANSIT = /visit transits?/i;

export interface ClassifiedEvent {
  resource: Resource | null;
  collection: string | null;
  /** CloudEvent type, e.g. "chup.visit.served". */
  type: string;
  /** Facts the gateway derived, relayed as data.gateway. */
  gateway: Record<string, unknown>;
}

/** Finds the resource of a Chup event name, or null for an unknown event. */
export function resourceOf(event: string): { resource: Resource; collection: string; action: string } | null {
  const match = RESOURCES.find((entry) => event.startsWith(entry.prefix));
  if (!match) {
    return null;
  }
  const action = event.slice(match.prefix.length);
  return Object.hasOwn(ACTION_TYPES[match.resource], action) ? { resource: match.resource, collection: match.collection, action } : null;
}

/**
 * Decides the CloudEvent type from the Chup event, the normalized data and
 * the stored state of the entity. An event older than the stored state
 * (by the source's updated_at) is flagged `out_of_order` so the HIS never
 * takes it as the current state.
 */
export function classifyEvent(event: string, data: Record<string, unknown>, context: NormalizeContext): ClassifiedEvent {
  const found = resourceOf(event);
  if (!found) {
    return { resource: null, collection: null, type: "chup.unknown", gateway: {} };
  }

  const updatedAt = sourceUpdatedAt(data);
  const storedAt = context.previous?.sourceUpdatedAt ?? null;
  const outOfOrder = updatedAt !== null && storedAt !== null && updatedAt < storedAt;
  const gateway: Record<string, unknown> = { out_of_order: outOfOrder };
  const base = { resource: found.resource, collection: found.collection, gateway };
  const fixedType = ACTION_TYPES[found.resource][found.action];

  if (found.resource === "visit") {
    const suffix = fixedType || visitTypeSuffix(found.action, data, context, gateway, outOfOrder);
    return { ...base, type: `chup.visit.${suffix}` };
  }
  if (found.resource === "appointment") {
    Object.assign(gateway, appointmentInstants(data, context.timezone));
    const suffix = fixedType || appointmentTypeSuffix(data, context, gateway, outOfOrder);
    return { ...base, type: `chup.appointment.${suffix}` };
  }
  return { ...base, type: `chup.${found.resource}.${fixedType}` };
}

function visitTypeSuffix(action: string, data: Record<string, unknown>, context: NormalizeContext, gateway: Record<string, unknown>, outOfOrder: boolean): string {
  const code = isRecord(data.state) && typeof data.state.code === "number" ? data.state.code : null;
  const previousCode = context.previous?.stateCode ?? null;
  gateway.previous_state_code = outOfOrder ? null : previousCode;

  if (code === 7) {
    const bySystem = notesMatch(data.notes, CANCELLED_BY_SYSTEM);
    gateway.cancelled_by = bySystem ? "system" : "staff";
    return bySystem ? "cancelled_by_system" : "cancelled";
  }
  if (!outOfOrder && previousCode === 8 && (code === 1 || code === 2 || code === 3)) {
    return "returned_from_no_show";
  }
  if (action === "created" && code === 1 && (context.earlierVisit || notesMatch(data.notes, VISIT_TRANSIT))) {
    gateway.moved_from = context.earlierVisit
      ? { visit_id: context.earlierVisit.visitId, service_id: context.earlierVisit.serviceId, service_name: context.earlierVisit.serviceName }
      : null;
    return "moved";
  }
  const state = code === null ? undefined : LIVE_QUEUE_STATES[code];
  return state ? state.slug : "state_changed";
}

function appointmentTypeSuffix(data: Record<string, unknown>, context: NormalizeContext, gateway: Record<string, unknown>, outOfOrder: boolean): string {
  const previous = context.previous;
  const from =
    previous && !outOfOrder && previous.date !== null
      ? { date: previous.date, time: previous.time }
      : { date: data.original_date ?? null, time: data.original_time ?? null };
  const to = { date: data.date ?? null, time: data.time ?? null };
  const moved = from.date !== to.date || from.time !== to.time;
  if (outOfOrder || !moved) {
    return "updated";
  }

  const stateCode = typeof data.reschedule_state === "number" ? data.reschedule_state : null;
  const stateName = typeof data.reschedule_state_name === "string" ? data.reschedule_state_name : "";
  const byCode = typeof data.rescheduled_by === "number" ? data.rescheduled_by : null;
  gateway.reschedule = {
    mode: (stateCode !== null ? RESCHEDULE_MODES[stateCode] : undefined) ?? (/auto/i.test(stateName) ? "automatic" : "unknown"),
    by: { code: byCode, name: typeof data.rescheduled_by_name === "string" ? data.rescheduled_by_name : null },
    from,
    to,
  };
  return "rescheduled";
}

function notesMatch(notes: unknown, pattern: RegExp): boolean {
  return Array.isArray(notes) && notes.some((note) => isRecord(note) && typeof note.content === "string" && pattern.test(note.content));
}

import { Hono } from "hono";
import defs from "../../schemas/v1/defs.json";
import visitQueued from "../../schemas/v1/chup.visit.queued.json";
import visitAlerted from "../../schemas/v1/chup.visit.alerted.json";
import visitArrived from "../../schemas/v1/chup.visit.arrived.json";
import visitServing from "../../schemas/v1/chup.visit.serving.json";
import visitServed from "../../schemas/v1/chup.visit.served.json";
import visitCancelled from "../../schemas/v1/chup.visit.cancelled.json";
import visitCancelledBySystem from "../../schemas/v1/chup.visit.cancelled_by_system.json";
import visitNoShow from "../../schemas/v1/chup.visit.no_show.json";
import visitReturnedFromNoShow from "../../schemas/v1/chup.visit.returned_from_no_show.json";
import visitMoved from "../../schemas/v1/chup.visit.moved.json";
import visitDeleted from "../../schemas/v1/chup.visit.deleted.json";
import visitStateChanged from "../../schemas/v1/chup.visit.state_changed.json";
import appointmentBooked from "../../schemas/v1/chup.appointment.booked.json";
import appointmentRescheduled from "../../schemas/v1/chup.appointment.rescheduled.json";
import appointmentUpdated from "../../schemas/v1/chup.appointment.updated.json";
import appointmentDeleted from "../../schemas/v1/chup.appointment.deleted.json";
import clientCreated from "../../schemas/v1/chup.client.created.json";
import clientUpdated from "../../schemas/v1/chup.client.updated.json";
import clientDeleted from "../../schemas/v1/chup.client.deleted.json";
import serviceCreated from "../../schemas/v1/chup.service.created.json";
import serviceUpdated from "../../schemas/v1/chup.service.updated.json";
import serviceDeleted from "../../schemas/v1/chup.service.deleted.json";
import serviceStaffAssignmentChanged from "../../schemas/v1/chup.service.staff_assignment_changed.json";
import staffCreated from "../../schemas/v1/chup.staff.created.json";
import staffUpdated from "../../schemas/v1/chup.staff.updated.json";
import staffDeleted from "../../schemas/v1/chup.staff.deleted.json";
import staffServiceAssignmentChanged from "../../schemas/v1/chup.staff.service_assignment_changed.json";
import unknown from "../../schemas/v1/chup.unknown.json";
import { ProblemError } from "../http/problem";

/**
 * Every CloudEvent type the gateway relays, each with a JSON Schema of its
 * `data` in schemas/v1/<type>.json. Keep in step with src/normalize/types.ts.
 */
export const EVENT_TYPES = [
  "chup.visit.queued",
  "chup.visit.alerted",
  "chup.visit.arrived",
  "chup.visit.serving",
  "chup.visit.served",
  "chup.visit.cancelled",
  "chup.visit.cancelled_by_system",
  "chup.visit.no_show",
  "chup.visit.returned_from_no_show",
  "chup.visit.moved",
  "chup.visit.deleted",
  "chup.visit.state_changed",
  "chup.appointment.booked",
  "chup.appointment.rescheduled",
  "chup.appointment.updated",
  "chup.appointment.deleted",
  "chup.client.created",
  "chup.client.updated",
  "chup.client.deleted",
  "chup.service.created",
  "chup.service.updated",
  "chup.service.deleted",
  "chup.service.staff_assignment_changed",
  "chup.staff.created",
  "chup.staff.updated",
  "chup.staff.deleted",
  "chup.staff.service_assignment_changed",
  "chup.unknown",
] as const;

/** Prefix of every schema's `$id`: a tag URI (RFC 4151), a stable name rather than a link. */
export const SCHEMA_ID_BASE = "tag:chup-edge-gateway,2026:schemas/v1/";

/** The version 1 schema documents keyed by file name: "defs.json" and "<type>.json" for each type. */
export const SCHEMA_DOCUMENTS: ReadonlyMap<string, object> = new Map<string, object>([
  ["defs.json", defs],
  ["chup.visit.queued.json", visitQueued],
  ["chup.visit.alerted.json", visitAlerted],
  ["chup.visit.arrived.json", visitArrived],
  ["chup.visit.serving.json", visitServing],
  ["chup.visit.served.json", visitServed],
  ["chup.visit.cancelled.json", visitCancelled],
  ["chup.visit.cancelled_by_system.json", visitCancelledBySystem],
  ["chup.visit.no_show.json", visitNoShow],
  ["chup.visit.returned_from_no_show.json", visitReturnedFromNoShow],
  ["chup.visit.moved.json", visitMoved],
  ["chup.visit.deleted.json", visitDeleted],
  ["chup.visit.state_changed.json", visitStateChanged],
  ["chup.appointment.booked.json", appointmentBooked],
  ["chup.appointment.rescheduled.json", appointmentRescheduled],
  ["chup.appointment.updated.json", appointmentUpdated],
  ["chup.appointment.deleted.json", appointmentDeleted],
  ["chup.client.created.json", clientCreated],
  ["chup.client.updated.json", clientUpdated],
  ["chup.client.deleted.json", clientDeleted],
  ["chup.service.created.json", serviceCreated],
  ["chup.service.updated.json", serviceUpdated],
  ["chup.service.deleted.json", serviceDeleted],
  ["chup.service.staff_assignment_changed.json", serviceStaffAssignmentChanged],
  ["chup.staff.created.json", staffCreated],
  ["chup.staff.updated.json", staffUpdated],
  ["chup.staff.deleted.json", staffDeleted],
  ["chup.staff.service_assignment_changed.json", staffServiceAssignmentChanged],
  ["chup.unknown.json", unknown],
]);

/**
 * Routes serving the version 1 schemas, meant to be mounted at /schemas/v1
 * so each CloudEvent's `dataschema` URL resolves. The body is the stored
 * document, whose `$id` is the tag URI and not the URL it was fetched from.
 */
export const schemaRoutes = new Hono();

schemaRoutes.get("/:file", (c) => {
  const file = c.req.param("file");
  const document = SCHEMA_DOCUMENTS.get(file);
  if (document === undefined) {
    return new ProblemError(
      404,
      "not-found",
      "Not found",
      `No JSON Schema is named ${JSON.stringify(file)}. Schemas are named <type>.json, e.g. chup.visit.served.json, plus defs.json.`,
    ).toResponse();
  }
  return c.body(JSON.stringify(document, null, 2), 200, {
    "content-type": "application/schema+json",
    "cache-control": "public, max-age=3600",
  });
});

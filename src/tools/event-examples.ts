/**
 * `npx tsx src/tools/event-examples.ts`: writes docs/event-examples.md, one
 * example CloudEvent for each type in EVENT_TYPES, in that order. Each
 * example is built by the gateway's own normalizer, from one of Chup's
 * published webhook examples where one fits, or from a small made-up payload.
 * Event ids are fixed and no clock is read, so the output depends only on
 * the code and fixtures and a rerun gives the same file.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { type ChupPayload, parseEnvelope } from "../ingest/envelope";
import { type ChupCloudEvent as CloudEvent, normalizeChupEvent } from "../normalize/cloudevent";
import type { EntitySnapshot, NormalizeContext } from "../normalize/context";
import { EVENT_TYPES } from "../schemas";

const FIXTURES_DIR = new URL("../../test/fixtures/chup-docs/", import.meta.url);
const OUTPUT_FILE = new URL("../../docs/event-examples.md", import.meta.url);
const PROGRAM = "src/tools/event-examples.ts";
const COMMAND = `npx tsx ${PROGRAM}`;

const BASE_CONTEXT: NormalizeContext = {
  clinicId: "klinik-setia",
  timezone: "Asia/Kuala_Lumpur",
  country: "MY",
  schemaBaseUrl: "https://gateway.example.org/schemas/v1",
  previous: null,
  earlierVisit: null,
};

/** Fallback receive time; unused in practice because every example payload has a timestamp. */
const RECEIVED_AT = Date.UTC(2024, 0, 18, 12, 0, 0);

interface Example {
  type: string;
  /** One sentence on what happened and which Chup event and condition produced the type. */
  summary: string;
  /** Origin of the payload: a published example, changed or unchanged, or a made-up one. */
  payloadSource: string;
  payload: ChupPayload;
  /** The entity state the gateway had stored when the webhook arrived. Absent fields come from BASE_CONTEXT. */
  context?: Partial<NormalizeContext>;
}

function fixtureText(file: string): string {
  return readFileSync(new URL(file, FIXTURES_DIR), "utf8");
}

function fixturePayload(file: string): ChupPayload {
  return parseEnvelope(fixtureText(file)).payload;
}

/** Returns a published example with another event name, timestamp or data fields, for a case Chup published no example of. */
function changedFixture(file: string, changes: { event?: string; timestamp?: string; data: Record<string, unknown> }): ChupPayload {
  const payload = fixturePayload(file);
  return {
    ...payload,
    event: changes.event ?? payload.event,
    timestamp: changes.timestamp ?? payload.timestamp,
    data: { ...(payload.data as Record<string, unknown>), ...changes.data },
  };
}

/**
 * Returns 06-no-show.json's payload. The published file has the stray text
 * `json` after `"appointment_time": null,`, so it is not valid JSON. Only
 * that text is removed.
 */
function repairedNoShowPayload(): ChupPayload {
  const text = fixtureText("06-no-show.json");
  const repaired = text.replace(/("appointment_time": null,)json/, "$1");
  if (repaired === text) {
    throw new Error("06-no-show.json no longer contains the stray `json` text this program removes. Update repairedNoShowPayload.");
  }
  return parseEnvelope(repaired).payload;
}

/** Builds a stored entity state. `updatedAt` is the source's updated_at of the newest event applied. */
function stored(stateCode: number | null, updatedAt: string, slot: { date: string; time: string } | null = null): EntitySnapshot {
  return { stateCode, sourceUpdatedAt: Date.parse(updatedAt), date: slot?.date ?? null, time: slot?.time ?? null };
}

/**
 * Returns a fixed placeholder id in the gateway's format (`evt_` and 32 hex
 * digits), derived from the type so that reruns give the same file.
 */
function placeholderEventId(type: string): string {
  return `evt_${createHash("sha256").update(`event example ${type}`).digest("hex").slice(0, 32)}`;
}

function madeUp(resource: string): string {
  return `Made up, because Chup has not published ${resource} payloads.`;
}

const EXAMPLES: Example[] = [
  {
    type: "chup.visit.queued",
    summary: "A patient joined the Registration queue, which Chup sent as `live_queue_created` with state 1 In Queue while the gateway had no earlier visit of the patient stored.",
    payloadSource: "01-join-live-queue.json, unchanged. Its phone number is a digit short of a Malaysian mobile number, so the gateway relays null and keeps the digits in `registered_client_phone_raw`.",
    payload: fixturePayload("01-join-live-queue.json"),
  },
  {
    type: "chup.visit.alerted",
    summary: "Registration called the patient, which Chup sent as `live_queue_updated` with state 2 Alerted.",
    payloadSource: "03-alert.json, unchanged, with the visit stored in state 1 In Queue by 01-join-live-queue.json.",
    payload: fixturePayload("03-alert.json"),
    context: { previous: stored(1, "2024-01-18T20:48:00+08:00") },
  },
  {
    type: "chup.visit.arrived",
    summary: "A patient arrived at Registration, which Chup sent as `live_queue_updated` with state 3 Arrived.",
    payloadSource: "00-webhook-overview.json, unchanged. It has the state as an object and the notes as a Laravel collection, which the gateway keeps in `state_raw` and `notes_raw`.",
    payload: fixturePayload("00-webhook-overview.json"),
  },
  {
    type: "chup.visit.serving",
    summary: "Registration started serving the patient, which Chup sent as `live_queue_updated` with state 4 Serving.",
    payloadSource: "04-serving.json, unchanged, with the visit stored in state 2 Alerted by 03-alert.json.",
    payload: fixturePayload("04-serving.json"),
    context: { previous: stored(2, "2024-01-18T20:50:22+08:00") },
  },
  {
    type: "chup.visit.served",
    summary: "The Pharmacy finished serving the patient, which Chup sent as `live_queue_updated` with state 5 Served.",
    payloadSource: "05-served.json, unchanged, with no earlier state of the visit stored.",
    payload: fixturePayload("05-served.json"),
  },
  {
    type: "chup.visit.cancelled",
    summary: "Staff cancelled a Registration visit, which Chup sent as `live_queue_updated` with state 7 Cancelled and no \"Canceled by system\" note.",
    payloadSource: "10-cancel-delete.json, unchanged, with the visit stored in state 8 No Show by 06-no-show.json.",
    payload: fixturePayload("10-cancel-delete.json"),
    context: { previous: stored(8, "2024-01-19T19:51:33+08:00") },
  },
  {
    type: "chup.visit.cancelled_by_system",
    summary: "Chup cancelled a visit because the patient had not shown up for more than 30 minutes, and sent `live_queue_updated` with state 7 and a note starting \"Canceled by system\".",
    payloadSource: "07-no-show-canceled-by-system.json, unchanged.",
    payload: fixturePayload("07-no-show-canceled-by-system.json"),
  },
  {
    type: "chup.visit.no_show",
    summary: "Registration marked the patient as not showing up, which Chup sent as `live_queue_updated` with state 8 No Show.",
    payloadSource: "06-no-show.json with the stray text `json` after `\"appointment_time\": null,` removed, because the published file is not valid JSON.",
    payload: repairedNoShowPayload(),
  },
  {
    type: "chup.visit.returned_from_no_show",
    summary: "A patient marked as a no-show came back and arrived at Registration, which Chup sent as `live_queue_updated` with state 3 Arrived while the gateway had state 8 No Show stored.",
    payloadSource: "08-no-show-back-to-live-queue-patient-arrived-from-no-show.json, unchanged. The stored no-show, updated at 18:00 local time, is made up.",
    payload: fixturePayload("08-no-show-back-to-live-queue-patient-arrived-from-no-show.json"),
    context: { previous: stored(8, "2024-01-25T18:00:00+08:00") },
  },
  {
    type: "chup.visit.moved",
    summary: "The patient went on from Registration to the Treatment Room, which Chup sent as `live_queue_created` with state 1 In Queue while the gateway had visit 19738 of the same appointment stored.",
    payloadSource: "09-move.json, unchanged, with visit 19738 stored by 01-join-live-queue.json.",
    payload: fixturePayload("09-move.json"),
    context: { earlierVisit: { visitId: "19738", serviceId: "206", serviceName: "Registration" } },
  },
  {
    type: "chup.visit.deleted",
    summary: "Staff deleted the cancelled queue entry, which Chup sends as `live_queue_deleted`.",
    payloadSource: "10-cancel-delete.json with the event name changed and the timestamp, `updated_at` and `deleted_at` set to a made-up deletion time, because Chup has not published a delete example.",
    payload: changedFixture("10-cancel-delete.json", {
      event: "live_queue_deleted",
      timestamp: "2024-01-19T19:56:02+08:00",
      data: { updated_at: "2024-01-19T19:56:02+08:00", deleted_at: "2024-01-19T19:56:02+08:00" },
    }),
    context: { previous: stored(7, "2024-01-19T19:55:50+08:00") },
  },
  {
    type: "chup.visit.state_changed",
    summary: "Chup sent `live_queue_updated` with state 6, a state code that the gateway has no type for.",
    payloadSource: "05-served.json with `state` and `state_name` changed. Chup documents no state 6, and the name \"On Hold\" is made up.",
    payload: changedFixture("05-served.json", { data: { state: 6, state_name: "On Hold" } }),
  },
  {
    type: "chup.appointment.booked",
    summary: "The patient booked a Treatment Room appointment for 21:00, which Chup sent as `appointment_created`.",
    payloadSource: "02-appointment.json, unchanged.",
    payload: fixturePayload("02-appointment.json"),
  },
  {
    type: "chup.appointment.rescheduled",
    summary: "The patient moved the appointment from 21:00 to 20:50, which Chup sent as `appointment_updated` with a date and time that differ from the stored ones.",
    payloadSource: "11-reschedule.json, unchanged, with the 21:00 slot stored by 02-appointment.json.",
    payload: fixturePayload("11-reschedule.json"),
    context: { previous: stored(1, "2024-01-18T20:44:18+08:00", { date: "2024-01-18", time: "21:00:00" }) },
  },
  {
    type: "chup.appointment.updated",
    summary: "Staff added a remark to the appointment without moving it, which Chup sent as `appointment_updated` with the stored date and time.",
    payloadSource: "11-reschedule.json with a made-up `admin_remarks` and a later timestamp and `updated_at`, with the 20:50 slot stored by 11-reschedule.json as published.",
    payload: changedFixture("11-reschedule.json", {
      timestamp: "2024-01-18T20:49:10+08:00",
      data: { admin_remarks: "Follow-up visit", updated_at: "2024-01-18T20:49:10+08:00" },
    }),
    context: { previous: stored(1, "2024-01-18T20:47:55+08:00", { date: "2024-01-18", time: "20:50:00" }) },
  },
  {
    type: "chup.appointment.deleted",
    summary: "Staff deleted the appointment, which Chup sends as `appointment_deleted`.",
    payloadSource: "02-appointment.json with the event name changed and the timestamp, `updated_at` and `deleted_at` set to a made-up deletion time, because Chup has not published a delete example.",
    payload: changedFixture("02-appointment.json", {
      event: "appointment_deleted",
      timestamp: "2024-01-18T20:46:00+08:00",
      data: { updated_at: "2024-01-18T20:46:00+08:00", deleted_at: "2024-01-18T20:46:00+08:00" },
    }),
    context: { previous: stored(1, "2024-01-18T20:44:18+08:00", { date: "2024-01-18", time: "21:00:00" }) },
  },
  {
    type: "chup.client.created",
    summary: "A patient record was created, which Chup sends as `client_created`.",
    payloadSource: madeUp("client"),
    payload: {
      event: "client_created",
      timestamp: "2024-01-18T20:40:00+08:00",
      data: { id: 3364, name: "Jhon Doe", phone: "60123456789", created_at: "2024-01-18T20:40:00+08:00", updated_at: "2024-01-18T20:40:00+08:00" },
    },
  },
  {
    type: "chup.client.updated",
    summary: "A patient record was changed, which Chup sends as `client_updated`.",
    payloadSource: `${madeUp("client")} The phone number is in national form, which the gateway reads as a number of the clinic's country.`,
    payload: {
      event: "client_updated",
      timestamp: "2024-01-20T10:15:00+08:00",
      data: { id: 3364, name: "Jhon Doe", phone: "0123456780", updated_at: "2024-01-20T10:15:00+08:00" },
    },
    context: { previous: stored(null, "2024-01-18T20:40:00+08:00") },
  },
  {
    type: "chup.client.deleted",
    summary: "A patient record was deleted, which Chup sends as `client_deleted`.",
    payloadSource: madeUp("client"),
    payload: {
      event: "client_deleted",
      timestamp: "2024-01-21T09:00:00+08:00",
      data: { id: 3364, deleted_at: "2024-01-21T09:00:00+08:00" },
    },
  },
  {
    type: "chup.service.created",
    summary: "The clinic added a service, which Chup sends as `service_created`.",
    payloadSource: madeUp("service"),
    payload: {
      event: "service_created",
      timestamp: "2024-01-10T09:00:00+08:00",
      data: { id: 254, name: "Treatment Room", created_at: "2024-01-10T09:00:00+08:00", updated_at: "2024-01-10T09:00:00+08:00" },
    },
  },
  {
    type: "chup.service.updated",
    summary: "The clinic renamed a service, which Chup sends as `service_updated`.",
    payloadSource: madeUp("service"),
    payload: {
      event: "service_updated",
      timestamp: "2024-01-20T09:00:00+08:00",
      data: { id: 254, name: "Treatment Room 1", updated_at: "2024-01-20T09:00:00+08:00" },
    },
  },
  {
    type: "chup.service.deleted",
    summary: "The clinic removed a service, which Chup sends as `service_deleted`.",
    payloadSource: madeUp("service"),
    payload: {
      event: "service_deleted",
      timestamp: "2024-01-21T09:00:00+08:00",
      data: { id: 254, deleted_at: "2024-01-21T09:00:00+08:00" },
    },
  },
  {
    type: "chup.service.staff_assignment_changed",
    summary: "The staff assigned to a service changed, which Chup sends as `service_staffs_updated`.",
    payloadSource: `${madeUp("service")} The \`staffs\` list is a guess.`,
    payload: {
      event: "service_staffs_updated",
      timestamp: "2024-01-20T09:05:00+08:00",
      data: { id: 254, name: "Treatment Room", staffs: [{ id: 261, name: "Treatment Room staff" }, { id: 263, name: "Treatment Room staff" }] },
    },
  },
  {
    type: "chup.staff.created",
    summary: "A staff member was added, which Chup sends as `staff_created`.",
    payloadSource: madeUp("staff"),
    payload: {
      event: "staff_created",
      timestamp: "2024-01-10T09:10:00+08:00",
      data: { id: 263, name: "Treatment Room staff", phone: "60123456781", created_at: "2024-01-10T09:10:00+08:00", updated_at: "2024-01-10T09:10:00+08:00" },
    },
  },
  {
    type: "chup.staff.updated",
    summary: "A staff member's record was changed, which Chup sends as `staff_updated`.",
    payloadSource: madeUp("staff"),
    payload: {
      event: "staff_updated",
      timestamp: "2024-01-20T09:10:00+08:00",
      data: { id: 263, name: "Treatment Room staff (locum)", phone: "60123456781", updated_at: "2024-01-20T09:10:00+08:00" },
    },
  },
  {
    type: "chup.staff.deleted",
    summary: "A staff member was removed, which Chup sends as `staff_deleted`.",
    payloadSource: madeUp("staff"),
    payload: {
      event: "staff_deleted",
      timestamp: "2024-01-21T09:10:00+08:00",
      data: { id: 263, deleted_at: "2024-01-21T09:10:00+08:00" },
    },
  },
  {
    type: "chup.staff.service_assignment_changed",
    summary: "The services a staff member works at changed, which Chup sends as `staff_services_updated`.",
    payloadSource: `${madeUp("staff")} The \`services\` list is a guess.`,
    payload: {
      event: "staff_services_updated",
      timestamp: "2024-01-20T09:15:00+08:00",
      data: { id: 263, name: "Treatment Room staff", services: [{ id: 254, name: "Treatment Room" }, { id: 206, name: "Registration" }] },
    },
  },
  {
    type: "chup.unknown",
    summary: "Chup sent an event name that the gateway does not know, here `invoice_created`, which the gateway relays with its data as received apart from ids.",
    payloadSource: "Made up, both the event name and the data.",
    payload: {
      event: "invoice_created",
      timestamp: "2024-01-18T21:05:00+08:00",
      data: { id: 5, visit_id: 19740, total: "12.50" },
    },
  },
];

/** Checks that EXAMPLES has exactly one example per type, in EVENT_TYPES order. */
function checkCoverage(): void {
  const exampleTypes = EXAMPLES.map((example) => example.type);
  if (exampleTypes.join("\n") !== EVENT_TYPES.join("\n")) {
    throw new Error(
      `The examples do not match EVENT_TYPES one to one and in order.\nEVENT_TYPES: ${EVENT_TYPES.join(", ")}\nexamples:    ${exampleTypes.join(", ")}`,
    );
  }
}

function buildEvent(example: Example): CloudEvent {
  const { cloudEvent } = normalizeChupEvent({
    eventId: placeholderEventId(example.type),
    payload: example.payload,
    receivedAt: RECEIVED_AT,
    context: { ...BASE_CONTEXT, ...example.context },
  });
  if (cloudEvent.type !== example.type) {
    throw new Error(`The ${example.payload.event} example meant for ${example.type} was typed ${cloudEvent.type}. Fix its payload or context in ${PROGRAM}.`);
  }
  return cloudEvent;
}

function renderMarkdown(events: CloudEvent[]): string {
  const intro = [
    "# Example events",
    "",
    "One CloudEvent of each type the gateway relays, as the HIS receives it. [events.md](events.md)",
    "describes the envelope, the conditions behind each type and the fixes applied to `data`.",
    "",
    `This file is generated by \`${COMMAND}\`, which runs the gateway's normalizer`,
    "on each payload. Do not edit it by hand. Change the program and run the command again.",
    "",
    "All examples are for the clinic `klinik-setia` (time zone Asia/Kuala_Lumpur, country MY),",
    "with schemas served from `https://gateway.example.org/schemas/v1`.",
    "",
    "- Visit and appointment payloads are Chup's published webhook examples in",
    "  `test/fixtures/chup-docs`, some changed to show a case Chup published no example of.",
    "  The line starting \"Payload:\" under each heading names the file, any change, and what the",
    "  gateway had stored from earlier webhooks, because some types depend on it.",
    "- Chup has not published payloads for client, service and staff events. Those payloads",
    "  are made up and carry only an id, a name, a phone number or a list, and timestamps.",
    "  Real payloads will have other fields, which the gateway relays as received.",
    "- Each `id` is a fixed placeholder in the gateway's format, so that the file does not change",
    "  from run to run. A relayed event's id is derived from the clinic and Chup's signature.",
  ];

  const sections = EXAMPLES.map((example, index) => ["", `## ${example.type}`, "", example.summary, "", `Payload: ${example.payloadSource}`, "", "```json", JSON.stringify(events[index], null, 2), "```"]);
  return [...intro, ...sections.flat(), ""].join("\n");
}

checkCoverage();
const events = EXAMPLES.map(buildEvent);
writeFileSync(OUTPUT_FILE, renderMarkdown(events));
console.log(`Wrote ${events.length} examples to docs/event-examples.md`);

import { Ajv2020, type ErrorObject } from "ajv/dist/2020";
import { describe, expect, it } from "vitest";
import { type ChupPayload, parseEnvelope } from "../src/ingest/envelope";
import type { EntitySnapshot, NormalizeContext } from "../src/normalize/context";
import { type ChupCloudEvent, normalizeChupEvent } from "../src/normalize/cloudevent";
import { EVENT_TYPES, SCHEMA_DOCUMENTS, SCHEMA_ID_BASE, schemaRoutes } from "../src/schemas";
import { FIXTURES, INVALID_FIXTURES } from "./support/chup";

const CONTEXT: NormalizeContext = {
  clinicId: "clinic-a",
  timezone: "Asia/Kuala_Lumpur",
  country: "MY",
  schemaBaseUrl: "https://gateway.test/schemas/v1",
  previous: null,
  earlierVisit: null,
};

// Strict mode turns every schema mistake ajv can detect (unknown keywords,
// keywords without a matching type) into a compile error.
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addSchema([...SCHEMA_DOCUMENTS.values()]);

function normalize(payload: ChupPayload, context: Partial<NormalizeContext> = {}): ChupCloudEvent {
  return normalizeChupEvent({ eventId: "evt_schema", payload, receivedAt: Date.UTC(2024, 0, 1), context: { ...CONTEXT, ...context } }).cloudEvent;
}

function fixturePayload(file: string): ChupPayload {
  return parseEnvelope(FIXTURES[file]!).payload;
}

/** Returns a fixture's payload with another event name and changed data, for cases Chup published no example of. */
function changedFixture(file: string, event: string, changes: Record<string, unknown>): ChupPayload {
  const payload = fixturePayload(file);
  return { ...payload, event, data: { ...(payload.data as Record<string, unknown>), ...changes } };
}

function snapshot(stateCode: number | null, updatedAt: string, slot: { date: string; time: string } | null = null): EntitySnapshot {
  return { stateCode, sourceUpdatedAt: Date.parse(updatedAt), date: slot?.date ?? null, time: slot?.time ?? null };
}

/** Returns the schema document that an event's `dataschema` URL names. */
function schemaOf(event: ChupCloudEvent): object {
  const prefix = `${CONTEXT.schemaBaseUrl}/`;
  expect(event.dataschema.startsWith(prefix), event.dataschema).toBe(true);
  const document = SCHEMA_DOCUMENTS.get(event.dataschema.slice(prefix.length));
  expect(document, `no schema document for ${event.dataschema}`).toBeDefined();
  return document!;
}

/** Validates data against the schema of a type and returns ajv's errors, [] when it is valid. */
function schemaErrors(type: string, data: unknown): ErrorObject[] {
  const validate = ajv.getSchema(`${SCHEMA_ID_BASE}${type}.json`);
  if (!validate) {
    throw new Error(`no compiled schema for ${type}`);
  }
  return validate(data) ? [] : (validate.errors ?? []);
}

interface RelayCase {
  name: string;
  payload: ChupPayload;
  context?: Partial<NormalizeContext>;
  type: string;
}

const VALID_FIXTURES = Object.keys(FIXTURES)
  .filter((file) => file.endsWith(".json") && !INVALID_FIXTURES.includes(file))
  .sort();

const FIXTURE_TYPES: Record<string, string> = {
  "00-webhook-overview.json": "chup.visit.arrived",
  "01-join-live-queue.json": "chup.visit.queued",
  "02-appointment.json": "chup.appointment.booked",
  "03-alert.json": "chup.visit.alerted",
  "04-serving.json": "chup.visit.serving",
  "05-served.json": "chup.visit.served",
  "07-no-show-canceled-by-system.json": "chup.visit.cancelled_by_system",
  "08-no-show-back-to-live-queue-patient-arrived-from-no-show.json": "chup.visit.arrived",
  "09-move.json": "chup.visit.queued",
  "10-cancel-delete.json": "chup.visit.cancelled",
  "11-reschedule.json": "chup.appointment.rescheduled",
  "12-pharmacy-received.json": "chup.visit.arrived",
  "13-pharmacy-dispense.json": "chup.visit.queued",
  "15-end-visit.json": "chup.visit.served",
};

const TRANSIT_NOTE = {
  id: 4732,
  content: "Visit Transits : Registration → Treatment Room",
  user_id: 263,
  created_at: "2024-01-18T12:51:26.000000Z",
  updated_at: "2024-01-18T12:51:26.000000Z",
  deleted_at: null,
};

const RELAY_CASES: RelayCase[] = [
  ...VALID_FIXTURES.map((file) => ({ name: file, payload: fixturePayload(file), type: FIXTURE_TYPES[file] ?? "unlisted fixture" })),
  {
    name: "move after an earlier visit",
    payload: fixturePayload("09-move.json"),
    context: { earlierVisit: { visitId: "19738", serviceId: "206", serviceName: "Registration" } },
    type: "chup.visit.moved",
  },
  {
    name: "move shown only by a transit note",
    payload: changedFixture("09-move.json", "live_queue_created", { notes: [TRANSIT_NOTE] }),
    type: "chup.visit.moved",
  },
  {
    name: "arrival after a no-show",
    payload: fixturePayload("08-no-show-back-to-live-queue-patient-arrived-from-no-show.json"),
    context: { previous: snapshot(8, "2024-01-25T18:00:00+08:00") },
    type: "chup.visit.returned_from_no_show",
  },
  {
    name: "no-show",
    payload: changedFixture("03-alert.json", "live_queue_updated", { state: 8, state_name: "No Show", updated_at: "2024-01-18T21:20:00+08:00" }),
    context: { previous: snapshot(2, "2024-01-18T20:50:22+08:00") },
    type: "chup.visit.no_show",
  },
  {
    name: "serving event older than the stored state",
    payload: fixturePayload("04-serving.json"),
    context: { previous: snapshot(5, "2024-01-18T21:30:00+08:00") },
    type: "chup.visit.serving",
  },
  {
    name: "state Chup never documented",
    payload: changedFixture("05-served.json", "live_queue_updated", { state: 6, state_name: "On Hold" }),
    type: "chup.visit.state_changed",
  },
  {
    name: "visit without a state",
    payload: { event: "live_queue_updated", data: { id: 19740, service_id: 84, notes: null } },
    type: "chup.visit.state_changed",
  },
  {
    name: "state as an unreadable object",
    payload: changedFixture("05-served.json", "live_queue_updated", { state: { name: "PAUSED" }, state_name: null }),
    type: "chup.visit.state_changed",
  },
  {
    name: "deleted live queue entry",
    payload: changedFixture("10-cancel-delete.json", "live_queue_deleted", { deleted_at: "2024-01-19T19:56:02+08:00" }),
    type: "chup.visit.deleted",
  },
  {
    name: "reschedule against the stored slot",
    payload: fixturePayload("11-reschedule.json"),
    context: { previous: snapshot(1, "2024-01-18T20:44:18+08:00", { date: "2024-01-17", time: "10:00:00" }) },
    type: "chup.appointment.rescheduled",
  },
  {
    name: "automatic reschedule by the system",
    payload: changedFixture("11-reschedule.json", "appointment_updated", {
      reschedule_state: 3,
      reschedule_state_name: "Auto Rescheduled",
      rescheduled_by: "system",
      rescheduled_by_name: null,
      duration: null,
    }),
    type: "chup.appointment.rescheduled",
  },
  {
    name: "appointment update that keeps the slot",
    payload: fixturePayload("11-reschedule.json"),
    context: { previous: snapshot(1, "2024-01-18T20:44:18+08:00", { date: "2024-01-18", time: "20:50:00" }) },
    type: "chup.appointment.updated",
  },
  {
    name: "appointment update older than the stored state",
    payload: fixturePayload("11-reschedule.json"),
    context: { previous: snapshot(1, "2024-01-18T21:00:00+08:00", { date: "2024-01-19", time: "09:00:00" }) },
    type: "chup.appointment.updated",
  },
  {
    name: "deleted appointment",
    payload: changedFixture("02-appointment.json", "appointment_deleted", { time: "21:00", deleted_at: "2024-01-18T20:46:00+08:00" }),
    type: "chup.appointment.deleted",
  },
  {
    name: "new client",
    payload: {
      event: "client_created",
      timestamp: "2024-01-18T20:40:00+08:00",
      data: { id: 3364, name: "Jhon Doe", phone: "012-345 6789", ic_number: "900101-14-5678", created_at: "2024-01-18T20:40:00+08:00" },
    },
    type: "chup.client.created",
  },
  {
    name: "client with an unreadable phone",
    payload: { event: "client_updated", data: { id: "3364", phone: "n/a", emergency_phone: null, updated_at: "2024-01-18 20:41:00" } },
    type: "chup.client.updated",
  },
  {
    name: "deleted client",
    payload: { event: "client_deleted", data: { id: 3364, deleted_at: "2024-01-19T08:00:00+08:00" } },
    type: "chup.client.deleted",
  },
  {
    name: "new service",
    payload: { event: "service_created", data: { id: 254, name: "Treatment Room", branch_id: 12, staffs: [{ id: 263, name: "Treatment Room staff" }] } },
    type: "chup.service.created",
  },
  {
    name: "renamed service",
    payload: { event: "service_updated", data: { id: 254, name: "Treatment Room 1", updated_at: "2024-01-20T09:00:00+08:00" } },
    type: "chup.service.updated",
  },
  {
    name: "deleted service",
    payload: { event: "service_deleted", data: { id: 254 } },
    type: "chup.service.deleted",
  },
  {
    name: "staff of a service changed",
    payload: { event: "service_staffs_updated", data: { id: 254, staffs: [{ id: 263 }, { id: "0264", pivot: { service_id: 254, staff_id: 264 } }] } },
    type: "chup.service.staff_assignment_changed",
  },
  {
    name: "new staff member",
    payload: { event: "staff_created", data: { id: 263, name: "Treatment Room staff", user_id: 383, phone: "60123456789", created_at: "2024-01-18T20:00:00+08:00" } },
    type: "chup.staff.created",
  },
  {
    name: "updated staff member",
    payload: { event: "staff_updated", data: { id: 263, name: "Dr. Aminah", notes: { items: [{ id: 1, content: "Locum" }], escapeWhenCastingToString: false } } },
    type: "chup.staff.updated",
  },
  {
    name: "deleted staff member",
    payload: { event: "staff_deleted", data: { id: 263 } },
    type: "chup.staff.deleted",
  },
  {
    name: "services of a staff member changed",
    payload: { event: "staff_services_updated", data: { id: 263, services: [{ id: 254 }, { id: 206 }] } },
    type: "chup.staff.service_assignment_changed",
  },
  {
    name: "unknown event",
    payload: { event: "invoice_created", timestamp: "2024-01-18T20:50:27+08:00", data: { id: 5, total: "12.50", visit_id: 19740 } },
    type: "chup.unknown",
  },
  {
    name: "unknown event with non-object data",
    payload: { event: "ping", data: "hello" },
    type: "chup.unknown",
  },
];

describe("schema files", () => {
  it("exist for every event type", () => {
    for (const type of EVENT_TYPES) {
      expect(SCHEMA_DOCUMENTS.has(`${type}.json`), type).toBe(true);
    }
  });

  it("exist only for event types and defs", () => {
    const expected = ["defs.json", ...EVENT_TYPES.map((type) => `${type}.json`)].sort();
    expect([...SCHEMA_DOCUMENTS.keys()].sort()).toEqual(expected);
  });

  it("carry their file name in $id", () => {
    for (const [file, document] of SCHEMA_DOCUMENTS) {
      expect(document, file).toMatchObject({ $id: `${SCHEMA_ID_BASE}${file}`, $schema: "https://json-schema.org/draft/2020-12/schema" });
    }
  });

  it("compile in ajv strict mode", () => {
    for (const type of EVENT_TYPES) {
      expect(() => ajv.getSchema(`${SCHEMA_ID_BASE}${type}.json`), type).not.toThrow();
    }
  });
});

describe("relayed event data", () => {
  it("covers every event type", () => {
    expect([...new Set(RELAY_CASES.map((relay) => relay.type))].sort()).toEqual([...EVENT_TYPES].sort());
  });

  for (const relay of RELAY_CASES) {
    it(`validates for ${relay.name}`, () => {
      const event = normalize(relay.payload, relay.context);
      expect(event.type).toBe(relay.type);
      expect(schemaOf(event)).toMatchObject({ $id: `${SCHEMA_ID_BASE}${relay.type}.json` });
      expect(schemaErrors(event.type, event.data)).toEqual([]);
    });
  }

  // Each value matches the schema's pattern for a readable ISO 8601 date-time,
  // so the schema requires it in UTC. These cases check that workerd's
  // Date.parse reads every one of them, including out-of-range days.
  const READABLE_TIMESTAMPS = [
    "2024-02-31T00:00:00+08:00",
    "2024-01-18T00:00Z",
    "2024-01-18T23:59:59.123456789-05:30",
    "0000-01-01T00:00:00+01:00",
    "9999-12-31T23:00:00-05:00",
    "2024-01-18T12:44:18.000000Z",
  ];
  for (const raw of READABLE_TIMESTAMPS) {
    it(`validates timestamp ${raw}`, () => {
      const event = normalize({ event: "client_updated", data: { id: 1, updated_at: raw } });
      expect(event.data.updated_at).not.toBe(raw);
      expect(schemaErrors(event.type, event.data)).toEqual([]);
    });
  }

  it("validates a timestamp without an offset, read in the clinic's zone", () => {
    const event = normalize({ event: "client_updated", data: { id: 1, updated_at: "2024-01-18 20:48:00" } });
    expect(event.data.updated_at).toBe("2024-01-18T12:48:00.000Z");
    expect(schemaErrors(event.type, event.data)).toEqual([]);
  });

  const UNREADABLE_TIMESTAMPS = ["2024-01-18T23:59:60Z", "yesterday", 1705581858, null];
  for (const raw of UNREADABLE_TIMESTAMPS) {
    it(`keeps unreadable timestamp ${String(raw)}`, () => {
      const event = normalize({ event: "client_updated", data: { id: 1, updated_at: raw } });
      expect(event.data.updated_at).toBe(raw);
      expect(schemaErrors(event.type, event.data)).toEqual([]);
    });
  }
});

describe("data the gateway never relays", () => {
  const served = () => normalize(fixturePayload("05-served.json"));
  const rescheduled = () => normalize(fixturePayload("11-reschedule.json"));
  const withNote = () => normalize(fixturePayload("03-alert.json"));
  const moved = () => normalize(fixturePayload("09-move.json"), { earlierVisit: { visitId: "19738", serviceId: "206", serviceName: "Registration" } });

  // Each case breaks one guarantee and names the instance path that must fail.
  const CASES: { name: string; event: () => ChupCloudEvent; change: (data: Record<string, any>) => void; path: string }[] = [
    { name: "visit id as a number", event: served, change: (data) => (data.id = 19740), path: "/id" },
    { name: "visit id with a leading zero", event: served, change: (data) => (data.id = "019740"), path: "/id" },
    { name: "missing id", event: served, change: (data) => delete data.id, path: "" },
    { name: "service_id as a number", event: served, change: (data) => (data.service_id = 84), path: "/service_id" },
    { name: "note id as a number", event: withNote, change: (data) => (data.notes[0].user_id = 263), path: "/notes/0/user_id" },
    { name: "state as an integer", event: served, change: (data) => (data.state = 5), path: "/state" },
    { name: "state code as a string", event: served, change: (data) => (data.state = { code: "5", name: "Served" }), path: "/state/code" },
    { name: "served visit in state 4", event: served, change: (data) => (data.state.code = 4), path: "/state/code" },
    { name: "notes as a collection", event: served, change: (data) => (data.notes = { items: [], escapeWhenCastingToString: false }), path: "/notes" },
    { name: "timestamp with an offset", event: served, change: (data) => (data.updated_at = "2024-01-18T20:57:16+08:00"), path: "/updated_at" },
    { name: "note timestamp with microseconds", event: withNote, change: (data) => (data.notes[0].created_at = "2024-01-18T12:44:18.000000Z"), path: "/notes/0/created_at" },
    { name: "phone without a plus", event: served, change: (data) => (data.registered_client_phone = "60123456789"), path: "/registered_client_phone" },
    { name: "time without seconds", event: rescheduled, change: (data) => (data.time = "20:50"), path: "/time" },
    { name: "missing gateway", event: served, change: (data) => delete data.gateway, path: "" },
    { name: "out_of_order as a string", event: served, change: (data) => (data.gateway.out_of_order = "false"), path: "/gateway/out_of_order" },
    { name: "missing previous_state_code", event: served, change: (data) => delete data.gateway.previous_state_code, path: "/gateway" },
    {
      name: "previous state of an out-of-order event",
      event: served,
      change: (data) => Object.assign(data.gateway, { out_of_order: true, previous_state_code: 4 }),
      path: "/gateway/previous_state_code",
    },
    { name: "move without moved_from", event: moved, change: (data) => delete data.gateway.moved_from, path: "/gateway" },
    { name: "moved_from with a numeric visit id", event: moved, change: (data) => (data.gateway.moved_from.visit_id = 19738), path: "/gateway/moved_from/visit_id" },
    { name: "reschedule missing", event: rescheduled, change: (data) => delete data.gateway.reschedule, path: "/gateway" },
    { name: "reschedule without to", event: rescheduled, change: (data) => delete data.gateway.reschedule.to, path: "/gateway/reschedule" },
    { name: "reschedule of another mode", event: rescheduled, change: (data) => (data.gateway.reschedule.mode = "patient"), path: "/gateway/reschedule/mode" },
    { name: "starts_at in local time", event: rescheduled, change: (data) => (data.gateway.starts_at = "2024-01-18T20:50:00+08:00"), path: "/gateway/starts_at" },
  ];

  for (const { name, event, change, path } of CASES) {
    it(`rejects ${name}`, () => {
      const relayed = event();
      const data = structuredClone(relayed.data);
      expect(schemaErrors(relayed.type, data), "the unchanged data must be valid").toEqual([]);

      change(data);
      const paths = schemaErrors(relayed.type, data).map((error) => error.instancePath);
      expect(paths).toContain(path);
    });
  }

  it("rejects a client event without an id", () => {
    expect(schemaErrors("chup.client.updated", { name: "Jhon Doe", gateway: { out_of_order: false } })).not.toEqual([]);
  });

  it("rejects non-object data of an unknown event", () => {
    expect(schemaErrors("chup.unknown", ["hello"])).not.toEqual([]);
  });
});

describe("schema routes", () => {
  it("serve a type's schema", async () => {
    const response = await schemaRoutes.request("/chup.visit.served.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/schema+json");
    expect(await response.json()).toEqual(SCHEMA_DOCUMENTS.get("chup.visit.served.json"));
  });

  it("serve every schema file", async () => {
    for (const [file, document] of SCHEMA_DOCUMENTS) {
      const response = await schemaRoutes.request(`/${file}`);
      expect(response.status, file).toBe(200);
      expect(await response.json(), file).toEqual(document);
    }
  });

  it("serve the file each dataschema names", async () => {
    for (const relay of RELAY_CASES) {
      const { dataschema } = normalize(relay.payload, relay.context);
      const file = dataschema.slice(dataschema.lastIndexOf("/") + 1);
      const response = await schemaRoutes.request(`/${file}`);
      expect(response.status, dataschema).toBe(200);
    }
  });

  for (const file of ["chup.visit.nope.json", "chup.visit.served", "CHUP.VISIT.SERVED.JSON", "__proto__", "constructor", "toString"]) {
    it(`return 404 for ${file}`, async () => {
      const response = await schemaRoutes.request(`/${file}`);
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ type: "tag:chup-edge-gateway,2026:problem:not-found", status: 404 });
    });
  }
});

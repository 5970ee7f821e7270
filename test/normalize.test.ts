import { describe, expect, it } from "vitest";
import { type ChupPayload, parseEnvelope, parseLossless } from "../src/ingest/envelope";
import type { NormalizeContext } from "../src/normalize/context";
import { normalizeChupEvent } from "../src/normalize/cloudevent";
import { normalizeId, normalizeNotes, normalizeState, withSeconds } from "../src/normalize/fields";
import { FIXTURES } from "./support/chup";

const CONTEXT: NormalizeContext = {
  clinicId: "clinic-a",
  timezone: "Asia/Kuala_Lumpur",
  country: "MY",
  schemaBaseUrl: "https://gateway.test/schemas/v1",
  previous: null,
  earlierVisit: null,
};

function normalize(payload: ChupPayload, eventId = "evt_test", receivedAt = 0, context: Partial<NormalizeContext> = {}) {
  return normalizeChupEvent({ eventId, payload, receivedAt, context: { ...CONTEXT, ...context } });
}

function normalizeFixture(file: string) {
  const { payload } = parseEnvelope(FIXTURES[file]!);
  return normalize(payload, "evt_test", Date.UTC(2024, 0, 1)).cloudEvent;
}

describe("fixture normalization", () => {
  it("types live queue events by state", () => {
    expect(normalizeFixture("01-join-live-queue.json").type).toBe("chup.visit.queued");
    expect(normalizeFixture("03-alert.json").type).toBe("chup.visit.alerted");
    expect(normalizeFixture("04-serving.json").type).toBe("chup.visit.serving");
    expect(normalizeFixture("05-served.json").type).toBe("chup.visit.served");
    expect(normalizeFixture("07-no-show-canceled-by-system.json").type).toBe("chup.visit.cancelled_by_system");
    expect(normalizeFixture("10-cancel-delete.json").type).toBe("chup.visit.cancelled");
    expect(normalizeFixture("08-no-show-back-to-live-queue-patient-arrived-from-no-show.json").type).toBe("chup.visit.arrived");
  });

  it("types a new appointment as booked", () => {
    expect(normalizeFixture("02-appointment.json").type).toBe("chup.appointment.booked");
  });

  it("types a changed date or time as rescheduled", () => {
    const event = normalizeFixture("11-reschedule.json");
    expect(event.type).toBe("chup.appointment.rescheduled");
    expect(event.data.gateway).toMatchObject({
      reschedule: { mode: "manual", by: { code: 3, name: "Patient" }, from: { date: "2024-01-18", time: "21:00:00" }, to: { date: "2024-01-18", time: "20:50:00" } },
    });
  });

  it("reads appointment times in the clinic's time zone", () => {
    expect(normalizeFixture("11-reschedule.json").data.gateway).toMatchObject({
      starts_at: "2024-01-18T12:50:00.000Z",
      ends_at: "2024-01-18T13:00:00.000Z",
      original_starts_at: "2024-01-18T13:00:00.000Z",
    });
  });

  it("reads a state object as code and name", () => {
    const event = normalizeFixture("00-webhook-overview.json");
    expect(event.type).toBe("chup.visit.arrived");
    expect(event.data).toMatchObject({ state: { code: 3, name: "Arrived" }, state_raw: { name: "ARRIVED", value: 3 } });
  });

  it("turns a notes collection into an array", () => {
    expect(normalizeFixture("00-webhook-overview.json").data).toMatchObject({ notes: [], notes_raw: { items: [], escapeWhenCastingToString: false } });
  });

  it("writes ids as decimal strings", () => {
    const data = normalizeFixture("09-move.json").data as Record<string, unknown>;
    expect(data.id).toBe("19739");
    expect(data.service_id).toBe("254");
    expect(data.registered_client_id).toBe("3364");
  });

  it("adds seconds to a time without them", () => {
    expect(normalizeFixture("11-reschedule.json").data).toMatchObject({ time: "20:50:00", original_time: "21:00:00" });
  });

  it("sets subject, source and UTC time", () => {
    const event = normalizeFixture("11-reschedule.json");
    expect(event.subject).toBe("appointments/9994");
    expect(event.source).toBe("/chup/clinics/clinic-a");
    expect(event.time).toBe("2024-01-18T12:47:55.000Z");
    expect(event.chupevent).toBe("appointment_updated");
  });

  it("keeps fields the gateway does not know", () => {
    expect(normalizeFixture("02-appointment.json").data).toMatchObject({ package_type_name: "Self pay", addons: null, client_email: "jhon@gmail.com" });
  });
});

describe("types that depend on stored state", () => {
  const payloadOf = (file: string) => parseEnvelope(FIXTURES[file]!).payload;
  const snapshot = (stateCode: number, updatedAt: string) => ({ stateCode, sourceUpdatedAt: Date.parse(updatedAt), date: null, time: null });

  it("types a new queue entry after another service as moved", () => {
    const earlierVisit = { visitId: "19738", serviceId: "206", serviceName: "Registration" };
    const event = normalize(payloadOf("09-move.json"), "evt_move", 0, { earlierVisit }).cloudEvent;
    expect(event.type).toBe("chup.visit.moved");
    expect(event.data.gateway).toMatchObject({ moved_from: { visit_id: "19738", service_name: "Registration" } });
  });

  it("types an arrival after a no-show as returned", () => {
    const previous = snapshot(8, "2024-01-25T18:00:00+08:00");
    const event = normalize(payloadOf("08-no-show-back-to-live-queue-patient-arrived-from-no-show.json"), "evt_back", 0, { previous }).cloudEvent;
    expect(event.type).toBe("chup.visit.returned_from_no_show");
    expect(event.data.gateway).toMatchObject({ previous_state_code: 8, out_of_order: false });
  });

  it("flags an event older than the stored state", () => {
    const previous = snapshot(5, "2024-01-18T21:30:00+08:00");
    const event = normalize(payloadOf("04-serving.json"), "evt_late", 0, { previous }).cloudEvent;
    expect(event.type).toBe("chup.visit.serving");
    expect(event.data.gateway).toMatchObject({ out_of_order: true });
  });

  it("types an unchanged appointment date as updated", () => {
    const previous = { stateCode: 1, sourceUpdatedAt: Date.parse("2024-01-18T20:45:00+08:00"), date: "2024-01-18", time: "20:50:00" };
    expect(normalize(payloadOf("11-reschedule.json"), "evt_same", 0, { previous }).cloudEvent.type).toBe("chup.appointment.updated");
  });
});

describe("field normalization", () => {
  const payloadOf = (file: string) => parseEnvelope(FIXTURES[file]!).payload;

  it("writes timestamps in UTC and keeps the raw beside", () => {
    expect(normalize(payloadOf("05-served.json")).cloudEvent.data).toMatchObject({
      updated_at: "2024-01-18T12:57:16.000Z",
      updated_at_raw: "2024-01-18T20:57:16+08:00",
    });
  });

  it("writes phone numbers in E.164 and keeps the raw beside", () => {
    expect(normalize(payloadOf("05-served.json")).cloudEvent.data).toMatchObject({
      registered_client_phone: "+60123456789",
      registered_client_phone_raw: "60123456789",
    });
  });

  it("writes null for an unreadable phone number", () => {
    expect(normalize(payloadOf("01-join-live-queue.json")).cloudEvent.data).toMatchObject({
      registered_client_phone: null,
      registered_client_phone_raw: "6012345678",
    });
  });

  it("reads a national number in the clinic's country", () => {
    const payload = { event: "client_created", data: { id: 1, phone: "012-345 6789" } };
    expect(normalize(payload).cloudEvent.data).toMatchObject({ phone: "+60123456789", phone_raw: "012-345 6789" });
  });

  it("turns PHP's empty array data into an object", () => {
    expect(normalize({ event: "client_deleted", data: [] }).cloudEvent.data).toEqual({ gateway: { out_of_order: false } });
  });
});

describe("unknown input", () => {
  it("passes an unknown event through with its raw name", () => {
    const payload = { event: "invoice_created", timestamp: "2024-01-18T20:50:27+08:00", data: { id: 5, total: "12.50" } };
    const { cloudEvent, orderingKey } = normalize(payload, "evt_x");
    expect(cloudEvent.type).toBe("chup.unknown");
    expect(cloudEvent.chupevent).toBe("invoice_created");
    expect(cloudEvent.subject).toBeUndefined();
    expect(cloudEvent.data).toEqual({ id: "5", total: "12.50" });
    expect(cloudEvent.dataschema).toBe("https://gateway.test/schemas/v1/chup.unknown.json");
    expect(orderingKey).toBe("events/evt_x");
  });

  it.each(["live_queue_valueOf", "client___proto__", "staff_constructor"])("treats %s as an unknown event", (event) => {
    const { cloudEvent } = normalize({ event, data: { id: 1 } });
    expect(cloudEvent.type).toBe("chup.unknown");
  });

  it("passes an unknown live queue state through", () => {
    const payload = { event: "live_queue_updated", data: { id: 9, state: 6, state_name: "On Hold" } };
    const { cloudEvent } = normalize(payload, "evt_y");
    expect(cloudEvent.type).toBe("chup.visit.state_changed");
    expect(cloudEvent.data).toMatchObject({ state: { code: 6, name: "On Hold" } });
  });

  it("falls back to the receive time when the timestamp is unreadable", () => {
    const payload = { event: "client_created", timestamp: "yesterday", data: { id: 1 } };
    const { cloudEvent } = normalize(payload, "evt_z", Date.UTC(2024, 5, 1));
    expect(cloudEvent.time).toBe("2024-06-01T00:00:00.000Z");
    expect(cloudEvent.type).toBe("chup.client.created");
    expect(cloudEvent.subject).toBe("clients/1");
  });

  it("types the assignment events of services and staff", () => {
    const service = normalize({ event: "service_staffs_updated", data: { id: 3 } });
    const staff = normalize({ event: "staff_services_updated", data: { id: 4 } });
    expect(service.cloudEvent.type).toBe("chup.service.staff_assignment_changed");
    expect(staff.cloudEvent.type).toBe("chup.staff.service_assignment_changed");
    expect(staff.cloudEvent.subject).toBe("staff/4");
  });
});

describe("field helpers", () => {
  it("keeps an id above 2^53 exact", () => {
    const data = parseLossless('{"id": 9007199254740993, "amount": 12.5}') as Record<string, unknown>;
    expect(normalizeId(data.id)).toBe("9007199254740993");
    expect(data.amount).toBe(12.5);
  });

  it("canonicalizes numeric id strings", () => {
    expect(normalizeId("0254")).toBe("254");
    expect(normalizeId(null)).toBeNull();
    expect(normalizeId("abc")).toBe("abc");
  });

  it("reads a numeric state string", () => {
    expect(normalizeState("4", undefined, { 4: "Serving" })).toEqual({ code: 4, name: "Serving" });
  });

  it("returns null code for an unreadable state", () => {
    expect(normalizeState(true, undefined, {})).toEqual({ code: null, name: null });
  });

  it("wraps odd notes shapes in an array", () => {
    expect(normalizeNotes(null)).toEqual([]);
    expect(normalizeNotes({ content: "x" })).toEqual([{ content: "x" }]);
    expect(normalizeNotes({ items: [1], escapeWhenCastingToString: false })).toEqual([1]);
  });

  it("leaves full times and other values alone", () => {
    expect(withSeconds("20:50:00")).toBe("20:50:00");
    expect(withSeconds(null)).toBeNull();
  });
});

describe("hostile values", () => {
  it("returns null instants for an absurd duration", () => {
    const payload = { event: "appointment_created", data: { id: 1, date: "2024-01-18", time: "20:50", duration: 1e12 } };
    expect(normalize(payload).cloudEvent.data.gateway).toMatchObject({ starts_at: "2024-01-18T12:50:00.000Z", ends_at: null });
  });

  it("reads a timestamp without an offset in the clinic's time zone", () => {
    const payload = { event: "client_updated", data: { id: 1, updated_at: "2024-01-18T20:48:00" } };
    expect(normalize(payload).cloudEvent.data).toMatchObject({ updated_at: "2024-01-18T12:48:00.000Z" });
  });

  it("rejects a phone number longer than E.164 allows", () => {
    const payload = { event: "client_updated", data: { id: 1, phone: "8100123456789012345" } };
    expect(normalize(payload).cloudEvent.data).toMatchObject({ phone: null, phone_raw: "8100123456789012345" });
  });
});

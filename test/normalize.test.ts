import { describe, expect, it } from "vitest";
import { parseEnvelope, parseLossless } from "../src/ingest/envelope";
import { normalizeChupEvent } from "../src/normalize/cloudevent";
import { normalizeId, normalizeNotes, normalizeState, withSeconds } from "../src/normalize/fields";
import { FIXTURES } from "./support/chup";

function normalizeFixture(file: string) {
  const { payload } = parseEnvelope(FIXTURES[file]!);
  return normalizeChupEvent({ eventId: "evt_test", clinicId: "clinic-a", payload, receivedAt: Date.UTC(2024, 0, 1) }).cloudEvent;
}

describe("fixture normalization", () => {
  it("types live queue events by state", () => {
    expect(normalizeFixture("01-join-live-queue.json").type).toBe("chup.visit.queued");
    expect(normalizeFixture("03-alert.json").type).toBe("chup.visit.alerted");
    expect(normalizeFixture("04-serving.json").type).toBe("chup.visit.serving");
    expect(normalizeFixture("05-served.json").type).toBe("chup.visit.served");
    expect(normalizeFixture("07-no-show-canceled-by-system.json").type).toBe("chup.visit.cancelled");
    expect(normalizeFixture("08-no-show-back-to-live-queue-patient-arrived-from-no-show.json").type).toBe("chup.visit.arrived");
  });

  it("types appointment events by action", () => {
    expect(normalizeFixture("02-appointment.json").type).toBe("chup.appointment.created");
    expect(normalizeFixture("11-reschedule.json").type).toBe("chup.appointment.updated");
  });

  it("reads a state object as code and name", () => {
    const event = normalizeFixture("00-webhook-overview.json");
    expect(event.type).toBe("chup.visit.arrived");
    expect(event.data).toMatchObject({ state: { code: 3, name: "Arrived" }, state_raw: { name: "ARRIVED", value: 3 } });
  });

  it("turns a notes collection into an array", () => {
    expect(normalizeFixture("00-webhook-overview.json").data).toMatchObject({ notes: [] });
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

describe("unknown input", () => {
  it("passes an unknown event through with its raw name", () => {
    const payload = { event: "invoice_created", timestamp: "2024-01-18T20:50:27+08:00", data: { id: 5, total: "12.50" } };
    const { cloudEvent, orderingKey } = normalizeChupEvent({ eventId: "evt_x", clinicId: "c", payload, receivedAt: 0 });
    expect(cloudEvent.type).toBe("chup.unknown");
    expect(cloudEvent.chupevent).toBe("invoice_created");
    expect(cloudEvent.subject).toBeUndefined();
    expect(cloudEvent.data).toEqual({ id: "5", total: "12.50" });
    expect(orderingKey).toBe("events/evt_x");
  });

  it("passes an unknown live queue state through", () => {
    const payload = { event: "live_queue_updated", data: { id: 9, state: 6, state_name: "On Hold" } };
    const { cloudEvent } = normalizeChupEvent({ eventId: "evt_y", clinicId: "c", payload, receivedAt: 0 });
    expect(cloudEvent.type).toBe("chup.visit.state_changed");
    expect(cloudEvent.data).toMatchObject({ state: { code: 6, name: "On Hold" } });
  });

  it("falls back to the receive time when the timestamp is unreadable", () => {
    const payload = { event: "client_created", timestamp: "yesterday", data: { id: 1 } };
    const { cloudEvent } = normalizeChupEvent({ eventId: "evt_z", clinicId: "c", payload, receivedAt: Date.UTC(2024, 5, 1) });
    expect(cloudEvent.time).toBe("2024-06-01T00:00:00.000Z");
    expect(cloudEvent.type).toBe("chup.client.created");
    expect(cloudEvent.subject).toBe("clients/1");
  });

  it("types the assignment events of services and staff", () => {
    const service = normalizeChupEvent({ eventId: "e1", clinicId: "c", payload: { event: "service_staffs_updated", data: { id: 3 } }, receivedAt: 0 });
    const staff = normalizeChupEvent({ eventId: "e2", clinicId: "c", payload: { event: "staff_services_updated", data: { id: 4 } }, receivedAt: 0 });
    expect(service.cloudEvent.type).toBe("chup.service.staffs_updated");
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

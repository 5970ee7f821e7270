import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createClinic, FIXTURES, INVALID_FIXTURES, payloadTextOf, postWebhook, resign } from "./support/chup";

/*
 * Scenarios: the fourteen valid published examples posted in every order
 * that matters (every permutation of visit 19738's three events crossed
 * with both orders of appointment 9994's two), each webhook twice, and
 * random shuffles of everything. Expected: the same clinic state each time.
 */

const STATE_TABLES = ["visits", "visit_states", "appointments", "appointment_versions", "clients", "services", "staff"];

/**
 * Every state row of a clinic, without the clinic id. Event ids are derived
 * from the clinic, so each is replaced by the webhook's signature, which is
 * the same in every clinic; rows are then sorted.
 */
async function clinicState(clinicId: string): Promise<Record<string, unknown[]>> {
  const { results: ids } = await env.DB.prepare("SELECT id, signature FROM events WHERE clinic_id = ?").bind(clinicId).all<{ id: string; signature: string }>();
  const signatureOf = new Map(ids.map((row) => [row.id, row.signature]));
  const state: Record<string, unknown[]> = {};
  for (const table of STATE_TABLES) {
    const { results } = await env.DB.prepare(`SELECT * FROM ${table} WHERE clinic_id = ?`).bind(clinicId).all();
    state[table] = results
      .map(({ clinic_id: _clinic, ...row }) => JSON.parse(JSON.stringify(row).replace(/evt_[0-9a-f]{32}/g, (id) => signatureOf.get(id) ?? id)))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return state;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) {
    return [items];
  }
  return items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}

const validFiles = Object.keys(FIXTURES).filter((file) => !INVALID_FIXTURES.includes(file)).sort();
const visitFiles = ["01-join-live-queue.json", "03-alert.json", "04-serving.json"];
const appointmentFiles = ["02-appointment.json", "11-reschedule.json"];
const singleFiles = validFiles.filter((file) => !visitFiles.includes(file) && !appointmentFiles.includes(file));

let clinicCounter = 0;

/** Posts the files in order to a new clinic, each one twice in a row, and returns the clinic's state. */
async function replay(files: string[], copies = 2): Promise<Record<string, unknown[]>> {
  const clinicId = `order-${clinicCounter++}`;
  await createClinic(clinicId);
  for (const file of files) {
    const body = await resign(FIXTURES[file]!);
    for (let copy = 0; copy < copies; copy++) {
      const response = await postWebhook(clinicId, body);
      expect([200, 202]).toContain(response.status);
    }
  }
  return clinicState(clinicId);
}

describe("clinic state under reordering", () => {
  it("is the same for every order of each visit's events", async () => {
    const baseline = await replay(validFiles, 1);
    expect(baseline.visits!.length).toBeGreaterThan(0);

    for (const visitOrder of permutations(visitFiles)) {
      for (const appointmentOrder of permutations(appointmentFiles)) {
        const state = await replay([...appointmentOrder, ...visitOrder, ...singleFiles]);
        expect(state).toEqual(baseline);
      }
    }
  }, 60_000);

  it("is the same for random shuffles with repeats", async () => {
    const baseline = await replay(validFiles, 1);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([...validFiles, ...validFiles], { minLength: validFiles.length * 2 }), async (order) => {
        expect(await replay(order, 1)).toEqual(baseline);
      }),
      { numRuns: 8 },
    );
  }, 60_000);

  it("keeps a served visit served when serving arrives late", async () => {
    const clinicId = "order-late-serving";
    await createClinic(clinicId);
    const served = FIXTURES["04-serving.json"]!.replace('"state": 4', '"state": 5').replace('"state_name": "Serving"', '"state_name": "Served"').replace(/"updated_at": "[^"]+"\n/, '"updated_at": "2024-01-18T21:05:00+08:00"\n');
    expect(payloadTextOf(served)).toContain('"state": 5');

    expect((await postWebhook(clinicId, await resign(served))).status).toBe(202);
    const late = await postWebhook(clinicId, await resign(FIXTURES["04-serving.json"]!));
    expect(late.status).toBe(202);

    const visit = await env.DB.prepare("SELECT state_code, serving_at, served_at FROM visits WHERE clinic_id = ? AND id = '19738'").bind(clinicId).first();
    expect(visit).toMatchObject({ state_code: 5, serving_at: Date.parse("2024-01-18T20:50:27+08:00"), served_at: Date.parse("2024-01-18T21:05:00+08:00") });

    const relayed = await env.DB.prepare("SELECT cloud_event FROM events WHERE clinic_id = ? ORDER BY received_at").bind(clinicId).all<{ cloud_event: string }>();
    const [, lateEvent] = relayed.results.map((row) => JSON.parse(row.cloud_event) as { type: string; data: { gateway: { out_of_order: boolean } } });
    expect(lateEvent?.type).toBe("chup.visit.serving");
    expect(lateEvent?.data.gateway.out_of_order).toBe(true);
  });

  it("lands an update that arrives before its create", async () => {
    const clinicId = "order-update-first";
    await createClinic(clinicId);
    await postWebhook(clinicId, await resign(FIXTURES["11-reschedule.json"]!));
    await postWebhook(clinicId, await resign(FIXTURES["02-appointment.json"]!));

    const appointment = await env.DB.prepare("SELECT date, time, starts_at FROM appointments WHERE clinic_id = ? AND id = '9994'").bind(clinicId).first();
    expect(appointment).toEqual({ date: "2024-01-18", time: "20:50:00", starts_at: Date.parse("2024-01-18T20:50:00+08:00") });
  });
});

import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeLikePhp } from "../src/verify/php-json";
import { signLikeChup } from "../src/verify/signature";
import { generateClinicDay, seededRandom, SERVICES, type TruthVisit } from "./support/clinic-day";
import { adminRequest, CHUP_SECRET, createClinic, FIXTURES, postWebhook, resign } from "./support/chup";

/*
 * Scenario: 220 synthetic patients through five services on 2024-03-05,
 * each patient's webhooks posted in a shuffled order. Expected: the read
 * API's live queue and wait-time figures equal the ones computed here from
 * the generator's ground truth with this file's own arithmetic.
 */

const CLINIC_ID = "synthetic-day";
const DATE = "2024-03-05";
const day = generateClinicDay({ patients: 220, date: DATE, seed: 20240305 });
let hisToken = "";

function hisRequest(path: string, token = hisToken): Promise<Response> {
  return exports.default.fetch(`https://gateway.test/his/v1/${CLINIC_ID}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

async function createHisToken(clinicId: string): Promise<string> {
  const response = await adminRequest("POST", `/admin/v1/clinics/${clinicId}/his-tokens`, { name: "test HIS" });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

/** Mean, median (mean of the middle two for an even count), nearest-rank p90 and max, in seconds. */
function expectedSummary(durationsMs: number[]) {
  if (durationsMs.length === 0) {
    return { count: 0, meanSeconds: null, medianSeconds: null, p90Seconds: null, maxSeconds: null };
  }
  const sorted = [...durationsMs].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  const toSeconds = (ms: number) => Math.round(ms) / 1000;
  return {
    count: n,
    meanSeconds: Math.round(sorted.reduce((a, b) => a + b, 0) / n) / 1000,
    medianSeconds: toSeconds(median),
    p90Seconds: toSeconds(sorted[Math.ceil(n * 0.9) - 1]!),
    maxSeconds: toSeconds(sorted[n - 1]!),
  };
}

function expectedFigures(visits: TruthVisit[]) {
  return {
    visits: visits.length,
    queuedToServing: expectedSummary(visits.filter((v) => v.servingAt !== null).map((v) => v.servingAt! - v.queuedAt)),
    servingToServed: expectedSummary(visits.filter((v) => v.servedAt !== null).map((v) => v.servedAt! - v.servingAt!)),
    noShows: visits.filter((v) => v.finalState === 8).length,
    cancelled: visits.filter((v) => v.finalState === 7).length,
  };
}

async function postPayload(payload: Record<string, unknown>): Promise<number> {
  const payloadText = JSON.stringify(payload);
  const signature = await signLikeChup(encodeLikePhp(payloadText), CHUP_SECRET);
  const response = await postWebhook(CLINIC_ID, `{"payload":${payloadText},"signature":"${signature}"}`);
  return response.status;
}

beforeAll(async () => {
  await createClinic(CLINIC_ID);
  hisToken = await createHisToken(CLINIC_ID);

  const random = seededRandom(7);
  const patients = day.payloadsByPatient.map((payloads) => [...payloads].sort(() => random() - 0.5));
  const statuses: number[] = [];
  // Eight patients at a time; each patient's shuffled webhooks one after another.
  for (let start = 0; start < patients.length; start += 8) {
    await Promise.all(
      patients.slice(start, start + 8).map(async (payloads) => {
        for (const payload of payloads) {
          statuses.push(await postPayload(payload));
        }
      }),
    );
  }
  expect(statuses.filter((status) => status !== 202)).toEqual([]);
}, 240_000);

describe("read API on a synthetic clinic day", () => {
  it("has at least 200 patients through five services", () => {
    expect(day.payloadsByPatient.length).toBeGreaterThanOrEqual(200);
    expect(new Set(day.visits.map((visit) => visit.serviceName))).toEqual(new Set(SERVICES.map((service) => service.name)));
  });

  it("returns wait-time figures per service that match", async () => {
    const response = await hisRequest(`/wait-times?date=${DATE}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { services: { serviceName: string }[]; clinic: unknown };

    for (const service of SERVICES) {
      const actual = body.services.find((entry) => entry.serviceName === service.name);
      expect(actual, service.name).toMatchObject(expectedFigures(day.visits.filter((visit) => visit.serviceId === service.id)));
    }
  });

  it("returns clinic-wide figures that match", async () => {
    const body = (await (await hisRequest(`/wait-times?date=${DATE}`)).json()) as { clinic: unknown };
    expect(body.clinic).toMatchObject(expectedFigures(day.visits));
  });

  it("returns the live queue by service", async () => {
    const body = (await (await hisRequest(`/queue?date=${DATE}`)).json()) as {
      waiting: number;
      services: { serviceName: string; visits: { visitId: string; state: { code: number } }[] }[];
    };
    const live = day.visits.filter((visit) => [1, 2, 3, 4].includes(visit.finalState));
    expect(live.length).toBeGreaterThan(0);
    expect(body.waiting).toBe(live.length);

    for (const service of SERVICES) {
      const expected = live.filter((visit) => visit.serviceId === service.id).sort((a, b) => a.queuedAt - b.queuedAt || a.visitId - b.visitId);
      const actual = body.services.find((entry) => entry.serviceName === service.name)?.visits ?? [];
      expect(actual.map((visit) => visit.visitId), service.name).toEqual(expected.map((visit) => String(visit.visitId)));
      expect(actual.map((visit) => visit.state.code)).toEqual(expected.map((visit) => visit.finalState));
    }
  });

  it("returns a patient's journey in service order", async () => {
    const clientId = day.visits[0]!.clientId;
    const body = (await (await hisRequest(`/patients/${clientId}/journey?date=${DATE}`)).json()) as { visits: { service: { name: string } }[] };
    const expected = day.visits.filter((visit) => visit.clientId === clientId).map((visit) => visit.serviceName);
    expect(body.visits.map((visit) => visit.service.name)).toEqual(expected);
  });

  it("returns one visit with its history in source order", async () => {
    const visit = day.visits.find((entry) => entry.finalState === 5)!;
    const body = (await (await hisRequest(`/visits/${visit.visitId}`)).json()) as { state: { code: number }; history: { state: { code: number } }[] };
    expect(body.state.code).toBe(5);
    expect(body.history.at(0)?.state.code).toBe(1);
    expect(body.history.at(-1)?.state.code).toBe(5);
  });
});

describe("read API authorization", () => {
  it("rejects a missing token", async () => {
    expect((await hisRequest("/queue", "")).status).toBe(401);
  });

  it("rejects another clinic's token", async () => {
    await createClinic("synthetic-other");
    const otherToken = await createHisToken("synthetic-other");
    expect((await hisRequest("/queue", otherToken)).status).toBe(401);
  });

  it("rejects a revoked token", async () => {
    const response = await adminRequest("POST", `/admin/v1/clinics/${CLINIC_ID}/his-tokens`, { name: "to revoke" });
    const { id, token } = (await response.json()) as { id: string; token: string };
    expect((await hisRequest("/queue", token)).status).toBe(200);
    expect((await adminRequest("DELETE", `/admin/v1/clinics/${CLINIC_ID}/his-tokens/${id}`)).status).toBe(204);
    expect((await hisRequest("/queue", token)).status).toBe(401);
  });

  it("stores only the token's hash", async () => {
    const { results } = await env.DB.prepare("SELECT token_hash FROM his_tokens WHERE clinic_id = ?").bind(CLINIC_ID).all<{ token_hash: string }>();
    expect(results.length).toBeGreaterThan(0);
    expect(results.some((row) => row.token_hash === hisToken)).toBe(false);
    expect(results.every((row) => /^[0-9a-f]{64}$/.test(row.token_hash))).toBe(true);
  });
});

describe("appointments on a date", () => {
  it("lists an appointment with its reschedule", async () => {
    const clinicId = "read-appointments";
    await createClinic(clinicId);
    const token = await createHisToken(clinicId);
    await postWebhook(clinicId, await resign(FIXTURES["11-reschedule.json"]!));
    await postWebhook(clinicId, await resign(FIXTURES["02-appointment.json"]!));

    const response = await exports.default.fetch(`https://gateway.test/his/v1/${clinicId}/appointments?date=2024-01-18`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { appointments: Record<string, unknown>[] };
    expect(body.appointments).toHaveLength(1);
    expect(body.appointments[0]).toMatchObject({
      appointmentId: "9994",
      time: "20:50:00",
      startsAt: "2024-01-18T12:50:00.000Z",
      reschedules: [{ from: { date: "2024-01-18", time: "21:00:00" }, to: { date: "2024-01-18", time: "20:50:00" }, rescheduledBy: { code: 3, name: "Patient" } }],
    });
  });

  it("rejects a malformed date with 400", async () => {
    const response = await hisRequest("/appointments?date=18-01-2024");
    expect(response.status).toBe(400);
  });
});

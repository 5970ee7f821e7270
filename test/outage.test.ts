import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { CIRCUIT_THRESHOLD } from "../src/delivery/circuit";
import type { DeliveryQueue } from "../src/delivery/queue";
import { encodeLikePhp } from "../src/verify/php-json";
import { signLikeChup } from "../src/verify/signature";
import {
  adminRequest,
  CHUP_SECRET,
  createClinic,
  deliveryQueue,
  FIXTURES,
  type HisDelivery,
  hisReceived,
  hisStats,
  postWebhook,
  resign,
  scriptHis,
  setHisDefault,
  setHisRules,
} from "./support/chup";

/*
 * Scenarios, with the HIS played by the mock HIS on loopback:
 * - the HIS is down while 500 events arrive for 50 patients, then returns;
 * - the HIS answers 503 with Retry-After: 30;
 * - the HIS rejects one visit's events with 400 until it is fixed;
 * - the queue object is evicted in the middle of a backlog.
 * Time is simulated by making retries and probes due, never by sleeping.
 */

/** Stands in for time passing: every pending retry and the circuit's next probe become due now. */
async function advanceClock(clinicId: string): Promise<void> {
  await runInDurableObject(deliveryQueue(clinicId), async (_instance: DeliveryQueue, state) => {
    state.storage.sql.exec("UPDATE outbox SET next_attempt_at = 0 WHERE state IN ('queued', 'retrying')");
    const circuit = state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'circuit'").toArray()[0];
    if (circuit) {
      const parsed = JSON.parse(circuit.value) as { consecutiveFailures: number; nextProbeAt: number | null };
      const due = JSON.stringify({ ...parsed, nextProbeAt: parsed.nextProbeAt === null ? null : 0 });
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'circuit'", due);
    }
    await state.storage.setAlarm(Date.now());
  });
}

/** Delivery states of a clinic's events in D1, counted. */
async function d1Counts(clinicId: string): Promise<Record<string, number>> {
  const { results } = await env.DB.prepare("SELECT delivery_state AS state, COUNT(*) AS n FROM events WHERE clinic_id = ? GROUP BY delivery_state")
    .bind(clinicId)
    .all<{ state: string; n: number }>();
  return Object.fromEntries(results.map((row) => [row.state, row.n]));
}

/**
 * Runs the queue, advancing the clock between runs, until the queue has
 * nothing pending and D1 shows the same states as the queue.
 */
async function drainWithClock(clinicId: string): Promise<void> {
  await vi.waitFor(
    async () => {
      await advanceClock(clinicId);
      await runDurableObjectAlarm(deliveryQueue(clinicId));
      const stats = await deliveryQueue(clinicId).stats();
      expect(stats.depth).toBe(0);
      expect(await d1Counts(clinicId)).toEqual(stats.counts);
    },
    { timeout: 60_000, interval: 20 },
  );
}

/** Checks accepted = delivered + dead-lettered + still queued, by the queue and by D1. */
async function expectAllAccountedFor(clinicId: string): Promise<Record<string, number>> {
  const d1 = await d1Counts(clinicId);
  const accepted = Object.values(d1).reduce((sum, n) => sum + n, 0);
  const queueCounts = (await deliveryQueue(clinicId).stats()).counts as Record<string, number>;
  const inQueue = Object.values(queueCounts).reduce((sum, n) => sum + n, 0);

  expect((d1.delivered ?? 0) + (d1.dead ?? 0) + (d1.queued ?? 0) + (d1.retrying ?? 0)).toBe(accepted);
  expect(d1.received ?? 0).toBe(0);
  expect(inQueue).toBe(accepted);
  expect(queueCounts).toEqual(d1);
  return d1;
}

/** Counts the 2xx responses of the HIS per webhook id. */
function successCounts(deliveries: HisDelivery[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const delivery of deliveries.filter((entry) => entry.status >= 200 && entry.status < 300)) {
    const id = delivery.headers["webhook-id"]!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** State codes each visit reached the HIS with (2xx only), in the order the HIS received them. */
function statesByVisit(deliveries: HisDelivery[]): Map<string, number[]> {
  const byVisit = new Map<string, number[]>();
  for (const delivery of deliveries.filter((entry) => entry.status >= 200 && entry.status < 300)) {
    const event = JSON.parse(delivery.body) as { subject: string; data: { state: { code: number } } };
    byVisit.set(event.subject, [...(byVisit.get(event.subject) ?? []), event.data.state.code]);
  }
  return byVisit;
}

/** Posts one Chup payload signed like Chup and returns the HTTP status. */
async function postPayload(clinicId: string, payload: Record<string, unknown>): Promise<number> {
  const text = JSON.stringify(payload);
  const signature = await signLikeChup(encodeLikePhp(text), CHUP_SECRET);
  return (await postWebhook(clinicId, `{"payload":${text},"signature":"${signature}"}`)).status;
}

/** Five live queue events (In Queue … Served) for each of a patient's visits, a minute apart. */
function visitPayloads(patient: number, visits: number): Record<string, unknown>[] {
  const payloads: Record<string, unknown>[] = [];
  const names: Record<number, string> = { 1: "In Queue", 2: "Alerted", 3: "Arrived", 4: "Serving", 5: "Served" };
  for (let visit = 0; visit < visits; visit++) {
    const id = 700_000 + patient * 10 + visit;
    const created = Date.UTC(2024, 2, 5, 1, patient % 60) + visit * 10 * 60_000;
    for (let state = 1; state <= 5; state++) {
      const at = new Date(created + (state - 1) * 60_000).toISOString();
      payloads.push({
        event: state === 1 ? "live_queue_created" : "live_queue_updated",
        timestamp: at,
        data: { id, registered_client_id: 60_000 + patient, service_id: 101 + visit, service_name: `Service ${visit}`, state, state_name: names[state], notes: [], created_at: new Date(created).toISOString(), updated_at: at },
      });
    }
  }
  return payloads;
}

describe("HIS outage", () => {
  it("delivers 500 events once each, in order per visit, after ten minutes down", async () => {
    const clinicId = "outage-long";
    const concurrency = 4;
    await createClinic(clinicId, { concurrency, ratePerSecond: 200 });
    await setHisDefault(clinicId, { status: 503 });

    const patients = Array.from({ length: 50 }, (_, patient) => visitPayloads(patient, 2));
    for (let start = 0; start < patients.length; start += 10) {
      await Promise.all(
        patients.slice(start, start + 10).map(async (payloads) => {
          for (const payload of payloads) {
            expect(await postPayload(clinicId, payload)).toBe(202);
          }
        }),
      );
    }

    // Ten minutes of backoff with the circuit open: probes only, one at a time.
    const beforeOutage = (await hisStats(clinicId)).received;
    for (let minute = 0; minute < 10; minute++) {
      await advanceClock(clinicId);
      await runDurableObjectAlarm(deliveryQueue(clinicId));
    }
    const outageRequests = (await hisStats(clinicId)).received - beforeOutage;
    expect(outageRequests).toBeLessThanOrEqual(10);
    expect((await deliveryQueue(clinicId).stats()).circuit.state).toBe("open");

    await setHisDefault(clinicId, { status: 200, delayMs: 5 });
    await drainWithClock(clinicId);

    const deliveries = await hisReceived(clinicId);
    const successes = successCounts(deliveries);
    expect(successes.size).toBe(500);
    expect([...successes.values()].every((count) => count === 1)).toBe(true);
    for (const [visit, states] of statesByVisit(deliveries)) {
      expect(states, visit).toEqual([1, 2, 3, 4, 5]);
    }
    expect((await hisStats(clinicId)).maxInFlight).toBeLessThanOrEqual(concurrency);
    expect(await expectAllAccountedFor(clinicId)).toEqual({ delivered: 500 });
  }, 180_000);

  it("opens the circuit after repeated failures", async () => {
    const clinicId = "outage-circuit";
    await createClinic(clinicId);
    await setHisDefault(clinicId, { status: 502 });
    for (const payload of visitPayloads(1, 2).slice(0, CIRCUIT_THRESHOLD + 3)) {
      await postPayload(clinicId, payload);
    }
    await vi.waitFor(async () => {
      await advanceClock(clinicId);
      await runDurableObjectAlarm(deliveryQueue(clinicId));
      expect((await deliveryQueue(clinicId).stats()).circuit.state).toBe("open");
    });
    const stats = await deliveryQueue(clinicId).stats();
    expect(stats.circuit.consecutiveFailures).toBeGreaterThanOrEqual(CIRCUIT_THRESHOLD);
    expect(stats.depth).toBe(CIRCUIT_THRESHOLD + 3);
  });
});

describe("Retry-After", () => {
  it("holds the retry at least 30 seconds after a 503 asking for 30", async () => {
    const clinicId = "outage-retry-after";
    await createClinic(clinicId);
    await scriptHis(clinicId, [{ status: 503, headers: { "retry-after": "30" } } as never]);
    const { eventId } = (await (await postWebhook(clinicId, await resign(FIXTURES["05-served.json"]!))).json()) as { eventId: string };

    await vi.waitFor(async () => {
      await runDurableObjectAlarm(deliveryQueue(clinicId));
      expect((await deliveryQueue(clinicId).inspect(eventId))?.state).toBe("retrying");
    });
    const event = (await deliveryQueue(clinicId).inspect(eventId))!;
    const waitMs = Date.parse(event.nextAttemptAt!) - Date.parse(event.lastAttemptAt!);
    expect(waitMs).toBeGreaterThanOrEqual(30_000);

    // Running the queue now sends nothing: the retry is not due yet.
    await runInDurableObject(deliveryQueue(clinicId), (_instance, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(deliveryQueue(clinicId));
    expect(await hisReceived(clinicId)).toHaveLength(1);
  });
});

describe("dead letters", () => {
  it("dead-letters a rejected event, delivers the rest, and replays it once fixed", async () => {
    const clinicId = "outage-dead-letter";
    await createClinic(clinicId);
    await setHisRules(clinicId, [{ match: '"subject":"visits/19738"', status: 400 }]);
    for (const file of ["01-join-live-queue.json", "03-alert.json", "05-served.json", "12-pharmacy-received.json", "15-end-visit.json"]) {
      expect((await postWebhook(clinicId, await resign(FIXTURES[file]!))).status).toBe(202);
    }
    await drainWithClock(clinicId);
    expect(await expectAllAccountedFor(clinicId)).toEqual({ delivered: 3, dead: 2 });

    const listed = await adminRequest("GET", `/admin/v1/clinics/${clinicId}/dead-letters`);
    const { deadLetters } = (await listed.json()) as { deadLetters: { eventId: string; lastStatus: number; lastError: string; orderingKey: string }[] };
    expect(deadLetters).toHaveLength(2);
    expect(deadLetters.every((letter) => letter.orderingKey === "visits/19738")).toBe(true);
    expect(deadLetters[0]).toMatchObject({ lastStatus: 400, lastError: "HIS responded 400: mock HIS failure" });

    const detail = await adminRequest("GET", `/admin/v1/clinics/${clinicId}/events/${deadLetters[0]!.eventId}`);
    expect(await detail.json()).toMatchObject({ delivery: { state: "dead" }, attempts: [{ attempt: 1, status: 400, outcome: "reject" }] });

    await setHisRules(clinicId, []);
    const replay = await adminRequest("POST", `/admin/v1/clinics/${clinicId}/dead-letters/replay`, { all: true });
    expect(await replay.json()).toEqual({ replayed: 2 });
    await drainWithClock(clinicId);

    expect(await expectAllAccountedFor(clinicId)).toEqual({ delivered: 5 });
    const visitStates = statesByVisit(await hisReceived(clinicId)).get("visits/19738");
    expect(visitStates).toEqual([1, 2]);
  });

  it("discards a dead letter with a reason", async () => {
    const clinicId = "outage-discard";
    await createClinic(clinicId);
    await setHisRules(clinicId, [{ match: "visits/19740", status: 422 }]);
    const { eventId } = (await (await postWebhook(clinicId, await resign(FIXTURES["05-served.json"]!))).json()) as { eventId: string };
    await drainWithClock(clinicId);

    const missingReason = await adminRequest("POST", `/admin/v1/clinics/${clinicId}/dead-letters/${eventId}/discard`, {});
    expect(missingReason.status).toBe(400);
    const discarded = await adminRequest("POST", `/admin/v1/clinics/${clinicId}/dead-letters/${eventId}/discard`, { reason: "HIS already has this visit" });
    expect(discarded.status).toBe(204);
    expect(await deliveryQueue(clinicId).inspect(eventId)).toMatchObject({ state: "discarded", lastError: "discarded by an operator: HIS already has this visit" });
  });
});

describe("queue control", () => {
  it("pauses and resumes delivery", async () => {
    const clinicId = "outage-pause";
    await createClinic(clinicId);
    expect((await adminRequest("POST", `/admin/v1/clinics/${clinicId}/delivery/pause`)).status).toBe(200);
    await postWebhook(clinicId, await resign(FIXTURES["05-served.json"]!));
    await runDurableObjectAlarm(deliveryQueue(clinicId));
    expect(await hisReceived(clinicId)).toHaveLength(0);

    const queue = (await (await adminRequest("GET", `/admin/v1/clinics/${clinicId}/queue`)).json()) as { depth: number; paused: boolean; oldestUndeliveredAgeSeconds: number };
    expect(queue).toMatchObject({ depth: 1, paused: true });
    expect(queue.oldestUndeliveredAgeSeconds).toBeGreaterThanOrEqual(0);

    expect((await adminRequest("POST", `/admin/v1/clinics/${clinicId}/delivery/resume`)).status).toBe(200);
    await drainWithClock(clinicId);
    expect(await hisReceived(clinicId)).toHaveLength(1);
    expect(await expectAllAccountedFor(clinicId)).toEqual({ delivered: 1 });
  });

  it("resumes mid-backlog without resending", async () => {
    const clinicId = "outage-evicted";
    await createClinic(clinicId, { concurrency: 2 });
    await setHisDefault(clinicId, { status: 200, delayMs: 40 });
    for (let patient = 0; patient < 12; patient++) {
      for (const payload of visitPayloads(100 + patient, 1)) {
        await postPayload(clinicId, payload);
      }
    }

    // Stop part-way: pausing lets the requests in flight finish and be recorded.
    await vi.waitFor(async () => expect((await hisStats(clinicId)).received).toBeGreaterThanOrEqual(10), { timeout: 20_000 });
    await deliveryQueue(clinicId).pause();
    await vi.waitFor(async () => expect((await hisStats(clinicId)).inFlight).toBe(0));
    const deliveredBefore = (await deliveryQueue(clinicId).stats()).counts.delivered ?? 0;
    expect(deliveredBefore).toBeLessThan(60);

    await abortAllDurableObjects();
    await deliveryQueue(clinicId).resume();
    await drainWithClock(clinicId);

    const successes = successCounts(await hisReceived(clinicId));
    expect(successes.size).toBe(60);
    expect([...successes.values()].every((count) => count === 1)).toBe(true);
    expect(await expectAllAccountedFor(clinicId)).toEqual({ delivered: 60 });
  }, 60_000);
});

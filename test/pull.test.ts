import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminRequest, deliveryQueue, FIXTURES, hisInboxUrl, hisReceived, postWebhook, resign, settleDeliveries, SIGNING_SECRET, CHUP_SECRET } from "./support/chup";

interface PullBatch {
  events: { cursor: string; id: string; deliveries: number; contentType: string; event: { type: string; subject: string } }[];
  nextCursor: string;
  visibilityTimeoutSeconds: number;
}

async function createPullClinic(clinicId: string, mode: "pull" | "both" = "pull", pull?: Record<string, number>): Promise<string> {
  const settings = {
    name: `Pull clinic ${clinicId}`,
    webhookSecrets: [CHUP_SECRET],
    delivery: { mode, signingSecret: SIGNING_SECRET, ...(mode === "both" ? { url: hisInboxUrl(clinicId) } : {}), ...(pull ? { pull } : {}) },
  };
  expect((await adminRequest("PUT", `/admin/v1/clinics/${clinicId}`, settings)).status).toBe(201);
  const token = await adminRequest("POST", `/admin/v1/clinics/${clinicId}/his-tokens`, { name: "relay agent" });
  return ((await token.json()) as { token: string }).token;
}

function pull(clinicId: string, token: string, query: string): Promise<Response> {
  return exports.default.fetch(`https://gateway.test/his/v1/${clinicId}/events?${query}`, { headers: { authorization: `Bearer ${token}` } });
}

function ack(clinicId: string, token: string, body: unknown): Promise<Response> {
  return exports.default.fetch(`https://gateway.test/his/v1/${clinicId}/ack`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function postFixtures(clinicId: string, files: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const file of files) {
    const response = await postWebhook(clinicId, await resign(FIXTURES[file]!));
    expect(response.status).toBe(202);
    ids.push(((await response.json()) as { eventId: string }).eventId);
  }
  return ids;
}

const THREE = ["01-join-live-queue.json", "03-alert.json", "04-serving.json"];

describe("pull API", () => {
  it("returns queued events in order with a next cursor", async () => {
    const token = await createPullClinic("pull-order");
    const ids = await postFixtures("pull-order", THREE);

    const batch = (await (await pull("pull-order", token, "after=0&limit=10")).json()) as PullBatch;
    expect(batch.events.map((event) => event.id)).toEqual(ids);
    expect(batch.events.map((event) => event.event.type)).toEqual(["chup.visit.queued", "chup.visit.alerted", "chup.visit.serving"]);
    expect(batch.nextCursor).toBe(batch.events.at(-1)!.cursor);
    expect(batch.visibilityTimeoutSeconds).toBe(60);

    const next = (await (await pull("pull-order", token, `after=${batch.nextCursor}`)).json()) as PullBatch;
    expect(next.events).toEqual([]);
    expect(next.nextCursor).toBe(batch.nextCursor);
  });

  it("honours the batch limit", async () => {
    const token = await createPullClinic("pull-limit");
    await postFixtures("pull-limit", THREE);
    const first = (await (await pull("pull-limit", token, "limit=2")).json()) as PullBatch;
    const second = (await (await pull("pull-limit", token, `after=${first.nextCursor}&limit=2`)).json()) as PullBatch;
    expect(first.events).toHaveLength(2);
    expect(second.events.map((event) => event.event.type)).toEqual(["chup.visit.serving"]);
  });

  it("marks acknowledged events delivered and never returns them", async () => {
    const token = await createPullClinic("pull-ack");
    const ids = await postFixtures("pull-ack", THREE);
    const batch = (await (await pull("pull-ack", token, "after=0")).json()) as PullBatch;

    const acked = await ack("pull-ack", token, { cursor: batch.nextCursor });
    expect(await acked.json()).toEqual({ acknowledged: 3 });
    const states = await env.DB.prepare("SELECT delivery_state FROM events WHERE clinic_id = 'pull-ack'").all<{ delivery_state: string }>();
    expect(states.results.map((row) => row.delivery_state)).toEqual(["delivered", "delivered", "delivered"]);

    await expireLeases("pull-ack");
    expect(((await (await pull("pull-ack", token, "after=0")).json()) as PullBatch).events).toEqual([]);
    expect(ids).toHaveLength(3);
  });

  it("acknowledges by event id", async () => {
    const token = await createPullClinic("pull-ack-ids");
    const ids = await postFixtures("pull-ack-ids", THREE);
    await pull("pull-ack-ids", token, "after=0");
    expect(await (await ack("pull-ack-ids", token, { eventIds: [ids[1]] })).json()).toEqual({ acknowledged: 1 });

    await expireLeases("pull-ack-ids");
    const again = (await (await pull("pull-ack-ids", token, "after=0")).json()) as PullBatch;
    expect(again.events.map((event) => event.id)).toEqual([ids[0], ids[2]]);
  });

  it("redelivers an unacknowledged event with its id", async () => {
    const token = await createPullClinic("pull-visibility", "pull", { visibilityTimeoutSeconds: 30 });
    const [id] = await postFixtures("pull-visibility", ["05-served.json"]);
    const first = (await (await pull("pull-visibility", token, "after=0")).json()) as PullBatch;
    const hidden = (await (await pull("pull-visibility", token, `after=${first.nextCursor}`)).json()) as PullBatch;
    expect(hidden.events).toEqual([]);

    await expireLeases("pull-visibility");
    const again = (await (await pull("pull-visibility", token, `after=${first.nextCursor}`)).json()) as PullBatch;
    expect(again.events.map((event) => [event.id, event.deliveries])).toEqual([[id, 2]]);
  });

  it("wakes a long poll when an event arrives", async () => {
    const token = await createPullClinic("pull-long-poll");
    const started = Date.now();
    const polled = pull("pull-long-poll", token, "after=0&wait=20");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const posted = Date.now();
    await postFixtures("pull-long-poll", ["05-served.json"]);

    const batch = (await (await polled).json()) as PullBatch;
    const answeredAfterPost = Date.now() - posted;
    expect(batch.events).toHaveLength(1);
    // Woken by the event, not by the 20-second timeout.
    expect(Date.now() - started).toBeLessThan(20_000);
    console.log(`long poll answered ${answeredAfterPost} ms after the webhook was posted`);
  });

  it("returns an empty batch when the wait runs out", async () => {
    const token = await createPullClinic("pull-empty");
    const batch = (await (await pull("pull-empty", token, "wait=1")).json()) as PullBatch;
    expect(batch).toMatchObject({ events: [], nextCursor: "0" });
  });

  it("sends events both ways in mode both", async () => {
    const token = await createPullClinic("pull-both", "both");
    const ids = await postFixtures("pull-both", ["05-served.json"]);
    await settleDeliveries("pull-both");
    expect((await hisReceived("pull-both")).map((delivery) => delivery.headers["webhook-id"])).toEqual(ids);
    const batch = (await (await pull("pull-both", token, "after=0")).json()) as PullBatch;
    expect(batch.events.map((event) => event.id)).toEqual(ids);
  });

  it("shows pending pull events and their age to the operator", async () => {
    await createPullClinic("pull-stats");
    await postFixtures("pull-stats", THREE);
    const queue = (await (await adminRequest("GET", "/admin/v1/clinics/pull-stats/queue")).json()) as { pull: { pending: number; oldestPendingAgeSeconds: number } };
    expect(queue.pull.pending).toBe(3);
    expect(queue.pull.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
  });

  it("expires events past the retention and keeps them", async () => {
    const token = await createPullClinic("pull-retention", "pull", { retentionDays: 1 });
    await postFixtures("pull-retention", ["05-served.json"]);
    await runInDurableObject(deliveryQueue("pull-retention"), (_instance, state) => {
      state.storage.sql.exec("UPDATE pull_queue SET received_at = received_at - 2 * 86400000");
    });
    expect(((await (await pull("pull-retention", token, "after=0")).json()) as PullBatch).events).toEqual([]);
    const queue = (await (await adminRequest("GET", "/admin/v1/clinics/pull-retention/queue")).json()) as { pull: { counts: Record<string, number> } };
    expect(queue.pull.counts).toEqual({ expired: 1 });
  });
});

describe("pull API input", () => {
  it("answers 409 for a push clinic", async () => {
    await adminRequest("PUT", "/admin/v1/clinics/pull-push-only", {
      name: "Push only",
      webhookSecrets: [CHUP_SECRET],
      delivery: { mode: "push", url: hisInboxUrl("pull-push-only"), signingSecret: SIGNING_SECRET },
    });
    const token = ((await (await adminRequest("POST", "/admin/v1/clinics/pull-push-only/his-tokens", { name: "x" })).json()) as { token: string }).token;
    expect((await pull("pull-push-only", token, "after=0")).status).toBe(409);
  });

  it.each([
    ["a cursor that is not a number", "after=abc"],
    ["a wait over 25 seconds", "wait=26"],
    ["a limit of zero", "limit=0"],
  ])("answers 400 to %s", async (_name, query) => {
    const token = await createPullClinic(`pull-bad-${query.split("=")[0]}`);
    const response = await pull(`pull-bad-${query.split("=")[0]}`, token, query);
    expect(response.status).toBe(400);
  });

  it("answers 400 to an ack with neither cursor nor ids", async () => {
    const token = await createPullClinic("pull-bad-ack");
    expect((await ack("pull-bad-ack", token, {})).status).toBe(400);
  });

  it("requires a url for mode both", async () => {
    const response = await adminRequest("PUT", "/admin/v1/clinics/pull-no-url", {
      name: "No url",
      webhookSecrets: [CHUP_SECRET],
      delivery: { mode: "both", signingSecret: SIGNING_SECRET },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe("delivery.url");
  });
});

/** Stands in for the visibility timeout passing: every lease runs out now. */
async function expireLeases(clinicId: string): Promise<void> {
  await runInDurableObject(deliveryQueue(clinicId), (_instance, state) => {
    state.storage.sql.exec("UPDATE pull_queue SET lease_until = 0 WHERE state = 'pending'");
  });
}

import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { createClinic, FIXTURES, postWebhook, resign, settleDeliveries } from "./support/chup";

const DAY_MS = 24 * 60 * 60 * 1000;

async function runDailyCleanUp(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 19 * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("retention clean-up", () => {
  it("removes payloads older than the clinic's retention and keeps the rows", async () => {
    const clinicId = "retention-old";
    await createClinic(clinicId);
    for (const file of ["04-serving.json", "05-served.json"]) {
      await postWebhook(clinicId, await resign(FIXTURES[file]!));
    }
    await postWebhook(clinicId, await resign(FIXTURES["05-served.json"]!, "wrong-secret"));
    await settleDeliveries(clinicId);
    const old = Date.now() - 31 * DAY_MS;
    await env.DB.batch([
      env.DB.prepare("UPDATE events SET received_at = ? WHERE clinic_id = ? AND subject = 'visits/19738'").bind(old, clinicId),
      env.DB.prepare("UPDATE quarantine SET received_at = ? WHERE clinic_id = ?").bind(old, clinicId),
    ]);

    await runDailyCleanUp();

    const { results } = await env.DB.prepare("SELECT subject, payload_raw, cloud_event, redacted_at, delivery_state FROM events WHERE clinic_id = ? ORDER BY subject")
      .bind(clinicId)
      .all<{ subject: string; payload_raw: string; cloud_event: string; redacted_at: number | null; delivery_state: string }>();
    expect(results).toHaveLength(2);
    const [recent, redacted] = [results.find((row) => row.subject === "visits/19740")!, results.find((row) => row.subject === "visits/19738")!];
    expect(redacted.payload_raw).toBe("");
    expect(JSON.parse(redacted.cloud_event)).toEqual({ id: expect.stringMatching(/^evt_/), type: "chup.visit.serving", subject: "visits/19738", redacted: true });
    expect(redacted.redacted_at).not.toBeNull();
    expect(redacted.delivery_state).toBe("delivered");
    expect(recent.payload_raw).toContain("Jhon Doe");
    expect(recent.redacted_at).toBeNull();

    const quarantined = await env.DB.prepare("SELECT body, headers FROM quarantine WHERE clinic_id = ?").bind(clinicId).first<{ body: string; headers: string }>();
    expect(quarantined).toEqual({ body: "", headers: "{}" });
  });

  it("removes personal fields of clients not updated within the retention", async () => {
    const clinicId = "retention-clients";
    await createClinic(clinicId);
    const payload = '{"event":"client_updated","timestamp":"2024-01-18T20:50:27+08:00","data":{"id":77,"name":"Siti Aminah","phone":"60123456789","updated_at":"2024-01-18T20:50:27+08:00"}}';
    const { signLikeChup } = await import("../src/verify/signature");
    const { CHUP_SECRET } = await import("./support/chup");
    await postWebhook(clinicId, `{"payload":${payload},"signature":"${await signLikeChup(payload, CHUP_SECRET)}"}`);

    await runDailyCleanUp();

    const client = await env.DB.prepare("SELECT id, name, phone_e164, data FROM clients WHERE clinic_id = ?").bind(clinicId).first();
    expect(client).toEqual({ id: "77", name: null, phone_e164: null, data: null });
  });
});

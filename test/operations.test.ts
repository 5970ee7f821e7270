import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { adminRequest, CHUP_SECRET, createClinic, FIXTURES, hisReceived, postWebhook, resign, settleDeliveries, SIGNING_SECRET } from "./support/chup";

const NEXT_SIGNING_SECRET = `whsec_${btoa("next-signing-key-of-32-bytes-len")}`;

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe("clinic administration", () => {
  it("lists clinics without secrets", async () => {
    await createClinic("ops-list-a");
    await createClinic("ops-list-b");
    const text = await (await adminRequest("GET", "/admin/v1/clinics")).text();
    const { clinics } = JSON.parse(text) as { clinics: { id: string }[] };
    expect(clinics.map((clinic) => clinic.id)).toEqual(expect.arrayContaining(["ops-list-a", "ops-list-b"]));
    expect(text).not.toContain(CHUP_SECRET);
    expect(text).not.toContain("whsec_");
  });

  it("stores clinic secrets encrypted", async () => {
    await createClinic("ops-encrypted");
    const row = await env.DB.prepare("SELECT webhook_secrets, signing_secret FROM clinics WHERE id = 'ops-encrypted'").first<{ webhook_secrets: string; signing_secret: string }>();
    expect(row?.webhook_secrets).not.toContain(CHUP_SECRET);
    expect(row?.signing_secret).toMatch(/^enc:v1:[0-9a-f]{8}:/);
    expect(JSON.parse(row!.webhook_secrets)[0]).toMatch(/^enc:v1:/);
  });

  it("rejects and quarantines webhooks of a disabled clinic", async () => {
    await createClinic("ops-disabled");
    expect(await json(await adminRequest("POST", "/admin/v1/clinics/ops-disabled/disable"))).toMatchObject({ disabled: true });
    const response = await postWebhook("ops-disabled", await resign(FIXTURES["05-served.json"]!));
    expect(response.status).toBe(403);
    expect(await json(response)).toMatchObject({ type: "tag:chup-edge-gateway,2026:problem:clinic-disabled" });

    await adminRequest("POST", "/admin/v1/clinics/ops-disabled/enable");
    expect((await postWebhook("ops-disabled", await resign(FIXTURES["05-served.json"]!))).status).toBe(202);
  });

  it("accepts both webhook secrets during a rotation, then only the new one", async () => {
    await createClinic("ops-rotate-webhook");
    const added = await adminRequest("POST", "/admin/v1/clinics/ops-rotate-webhook/webhook-secrets", { secret: "the-new-chup-secret" });
    expect(await json(added)).toMatchObject({ webhookSecretCount: 2 });
    expect((await postWebhook("ops-rotate-webhook", await resign(FIXTURES["01-join-live-queue.json"]!))).status).toBe(202);
    expect((await postWebhook("ops-rotate-webhook", await resign(FIXTURES["03-alert.json"]!, "the-new-chup-secret"))).status).toBe(202);

    await adminRequest("POST", "/admin/v1/clinics/ops-rotate-webhook/webhook-secrets/retire-oldest");
    expect((await postWebhook("ops-rotate-webhook", await resign(FIXTURES["04-serving.json"]!))).status).toBe(401);
    expect((await postWebhook("ops-rotate-webhook", await resign(FIXTURES["04-serving.json"]!, "the-new-chup-secret"))).status).toBe(202);
  });

  it("refuses a third webhook secret", async () => {
    await createClinic("ops-third-secret");
    await adminRequest("POST", "/admin/v1/clinics/ops-third-secret/webhook-secrets", { secret: "second-secret" });
    expect((await adminRequest("POST", "/admin/v1/clinics/ops-third-secret/webhook-secrets", { secret: "third-secret" })).status).toBe(409);
  });

  it("signs deliveries with both signing secrets during a rotation", async () => {
    await createClinic("ops-rotate-signing");
    await adminRequest("POST", "/admin/v1/clinics/ops-rotate-signing/signing-secrets", { secret: NEXT_SIGNING_SECRET });
    await postWebhook("ops-rotate-signing", await resign(FIXTURES["05-served.json"]!));
    await settleDeliveries("ops-rotate-signing");

    const [delivery] = await hisReceived("ops-rotate-signing");
    expect(delivery!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(SIGNING_SECRET).verify(delivery!.body, delivery!.headers)).toBeTruthy();
    expect(new Webhook(NEXT_SIGNING_SECRET).verify(delivery!.body, delivery!.headers)).toBeTruthy();

    expect(await json(await adminRequest("POST", "/admin/v1/clinics/ops-rotate-signing/signing-secrets/promote"))).toMatchObject({ signingSecretRotation: false });
    await postWebhook("ops-rotate-signing", await resign(FIXTURES["15-end-visit.json"]!));
    await settleDeliveries("ops-rotate-signing");
    const second = (await hisReceived("ops-rotate-signing"))[1]!;
    expect(new Webhook(NEXT_SIGNING_SECRET).verify(second.body, second.headers)).toBeTruthy();
    expect(() => new Webhook(SIGNING_SECRET).verify(second.body, second.headers)).toThrow();
  });

  it("lists a clinic's latest events with their delivery state", async () => {
    await createClinic("ops-events");
    await postWebhook("ops-events", await resign(FIXTURES["05-served.json"]!));
    await settleDeliveries("ops-events");
    const { events } = await json<{ events: { type: string; deliveryState: string }[] }>(await adminRequest("GET", "/admin/v1/clinics/ops-events/events?limit=10"));
    expect(events).toMatchObject([{ type: "chup.visit.served", deliveryState: "delivered" }]);
  });
});

describe("quarantine", () => {
  it("re-ingests a quarantined webhook after the secret is fixed and delivers it once", async () => {
    const clinicId = "ops-reingest";
    await createClinic(clinicId, { secrets: ["a-wrong-secret-set-by-mistake"] });
    const rejected = await postWebhook(clinicId, await resign(FIXTURES["04-serving.json"]!));
    expect(rejected.status).toBe(401);
    const { quarantineId } = await json<{ quarantineId: string }>(rejected);

    const listed = await json<{ quarantine: { id: string; reason: string }[] }>(await adminRequest("GET", `/admin/v1/clinics/${clinicId}/quarantine`));
    expect(listed.quarantine).toMatchObject([{ id: quarantineId, reason: "invalid-signature" }]);
    const still = await adminRequest("POST", `/admin/v1/clinics/${clinicId}/quarantine/${quarantineId}/reingest`);
    expect(still.status).toBe(422);

    await createClinic(clinicId, { secrets: [CHUP_SECRET] });
    const first = await adminRequest("POST", `/admin/v1/clinics/${clinicId}/quarantine/${quarantineId}/reingest`);
    const second = await adminRequest("POST", `/admin/v1/clinics/${clinicId}/quarantine/${quarantineId}/reingest`);
    const accepted = await json<{ status: string; eventId: string }>(first);
    expect(first.status).toBe(202);
    expect(accepted.status).toBe("accepted");
    expect(await json(second)).toMatchObject({ status: "duplicate", eventId: accepted.eventId });

    await settleDeliveries(clinicId);
    const deliveries = await hisReceived(clinicId);
    expect(deliveries.map((delivery) => delivery.headers["webhook-id"])).toEqual([accepted.eventId]);
    const entry = await json<{ reingestedEventId: string; body: string }>(await adminRequest("GET", `/admin/v1/clinics/${clinicId}/quarantine/${quarantineId}`));
    expect(entry.reingestedEventId).toBe(accepted.eventId);
    expect(entry.body).toContain('"payload"');
  });

  it("answers 404 for an unknown quarantine id", async () => {
    await createClinic("ops-quarantine-404");
    const response = await adminRequest("GET", `/admin/v1/clinics/ops-quarantine-404/quarantine/qtn_${"0".repeat(32)}`);
    expect(response.status).toBe(404);
  });
});

describe("secrets key rotation", () => {
  it("re-encrypts every clinic secret under the current key", async () => {
    await createClinic("ops-reencrypt");
    const before = await env.DB.prepare("SELECT signing_secret FROM clinics WHERE id = 'ops-reencrypt'").first<{ signing_secret: string }>();
    // A value written before encryption existed reads as plain text until it is rewritten.
    await env.DB.prepare("UPDATE clinics SET signing_secret = ? WHERE id = 'ops-reencrypt'").bind(SIGNING_SECRET).run();

    const response = await adminRequest("POST", "/admin/v1/maintenance/reencrypt-secrets");
    expect(response.status).toBe(200);
    expect(((await response.json()) as { clinicsRewritten: number }).clinicsRewritten).toBeGreaterThanOrEqual(1);

    const after = await env.DB.prepare("SELECT signing_secret FROM clinics WHERE id = 'ops-reencrypt'").first<{ signing_secret: string }>();
    expect(after?.signing_secret).toMatch(/^enc:v1:/);
    expect(after?.signing_secret.split(":")[2]).toBe(before?.signing_secret.split(":")[2]);

    await postWebhook("ops-reencrypt", await resign(FIXTURES["05-served.json"]!));
    await settleDeliveries("ops-reencrypt");
    const [delivery] = await hisReceived("ops-reencrypt");
    expect(new Webhook(SIGNING_SECRET).verify(delivery!.body, delivery!.headers)).toBeTruthy();
  });
});

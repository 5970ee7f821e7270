import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { dedupeKey } from "../src/dedupe";
import { createClinic, FIXTURES, hisReceived, payloadTextOf, postWebhook, resign, settleDeliveries } from "./support/chup";

describe("duplicate webhooks", () => {
  it("answers a repeat 200 with the first event id and relays once", async () => {
    const clinicId = "dup-twice";
    await createClinic(clinicId);
    const body = await resign(FIXTURES["05-served.json"]!);

    const first = await postWebhook(clinicId, body);
    const second = await postWebhook(clinicId, body);
    const firstAnswer = (await first.json()) as { status: string; eventId: string };
    expect(first.status).toBe(202);
    expect(firstAnswer.status).toBe("accepted");
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ status: "duplicate", eventId: firstAnswer.eventId });

    await settleDeliveries(clinicId);
    expect(await hisReceived(clinicId)).toHaveLength(1);
  });

  it("relays five concurrent copies once", async () => {
    const clinicId = "dup-five";
    await createClinic(clinicId);
    const body = await resign(FIXTURES["13-pharmacy-dispense.json"]!);

    const responses = await Promise.all(Array.from({ length: 5 }, () => postWebhook(clinicId, body)));
    const statuses = responses.map((response) => response.status).sort();
    const eventIds = new Set(await Promise.all(responses.map(async (response) => ((await response.json()) as { eventId: string }).eventId)));
    expect(statuses).toEqual([200, 200, 200, 200, 202]);
    expect(eventIds.size).toBe(1);

    await settleDeliveries(clinicId);
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE clinic_id = ?").bind(clinicId).first<{ n: number }>();
    expect(count?.n).toBe(1);
    expect(await hisReceived(clinicId)).toHaveLength(1);
  });

  it("treats a compact copy of a pretty-printed body as the same webhook", async () => {
    const clinicId = "dup-reformatted";
    await createClinic(clinicId);
    const pretty = await resign(FIXTURES["12-pharmacy-received.json"]!);
    const payload = JSON.parse(payloadTextOf(pretty)!);
    const signature = (JSON.parse(pretty) as { signature: string }).signature;
    const compact = `{"payload":${JSON.stringify(payload)},"signature":"${signature}"}`;

    expect((await postWebhook(clinicId, pretty)).status).toBe(202);
    expect((await postWebhook(clinicId, compact)).status).toBe(200);
  });

  it("finds the repeat in D1 when KV has not seen it", async () => {
    const clinicId = "dup-kv-miss";
    await createClinic(clinicId);
    const body = await resign(FIXTURES["15-end-visit.json"]!);
    const first = (await (await postWebhook(clinicId, body)).json()) as { eventId: string };

    const signature = (JSON.parse(body) as { signature: string }).signature;
    await env.DEDUPE_KV.delete(dedupeKey(clinicId, signature));
    const second = await postWebhook(clinicId, body);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ status: "duplicate", eventId: first.eventId });
  });
});

import { Ajv2020 } from "ajv/dist/2020";
import { env } from "cloudflare:workers";
import { CloudEvent, HTTP } from "cloudevents";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { SCHEMA_DOCUMENTS, SCHEMA_ID_BASE } from "../src/schemas";
import { createClinic, FIXTURES, hisReceived, INVALID_FIXTURES, postWebhook, resign, settleDeliveries, SIGNING_SECRET } from "./support/chup";

describe("published Chup examples through ingest", () => {
  it("accepts and relays fourteen, quarantines two", async () => {
    const clinicId = "fixtures-all";
    await createClinic(clinicId);

    const answers: Record<string, { status: number; body: Record<string, unknown> }> = {};
    for (const [file, body] of Object.entries(FIXTURES)) {
      const response = await postWebhook(clinicId, await resign(body));
      answers[file] = { status: response.status, body: await response.json() };
    }

    expect(Object.keys(answers)).toHaveLength(16);
    const accepted = Object.entries(answers).filter(([, answer]) => answer.status === 202);
    const rejected = Object.entries(answers).filter(([, answer]) => answer.status === 400);
    expect(accepted).toHaveLength(14);
    expect(rejected.map(([file]) => file).sort()).toEqual(INVALID_FIXTURES);
    for (const [, answer] of rejected) {
      expect(answer.body.type).toContain("invalid-json");
      expect(answer.body.quarantineId).toMatch(/^qtn_/);
    }

    const quarantined = await env.DB.prepare("SELECT reason, status FROM quarantine WHERE clinic_id = ?").bind(clinicId).all();
    expect(quarantined.results).toEqual([
      { reason: "invalid-json", status: 400 },
      { reason: "invalid-json", status: 400 },
    ]);

    const states = await settleDeliveries(clinicId);
    expect(Object.values(states)).toEqual(Array(14).fill("delivered"));

    const deliveries = await hisReceived(clinicId);
    const ids = deliveries.map((delivery) => delivery.headers["webhook-id"]);
    expect(ids).toHaveLength(14);
    expect(new Set(ids).size).toBe(14);
    expect(new Set(ids)).toEqual(new Set(accepted.map(([, answer]) => answer.body.eventId)));
  });

  it("relays data that validates against each type's JSON Schema", async () => {
    const clinicId = "fixtures-schemas";
    await createClinic(clinicId);
    for (const body of Object.values(FIXTURES)) {
      await postWebhook(clinicId, await resign(body));
    }
    await settleDeliveries(clinicId);

    const ajv = new Ajv2020({ strict: true, allErrors: true });
    ajv.addSchema([...SCHEMA_DOCUMENTS.values()]);
    const deliveries = await hisReceived(clinicId);
    expect(deliveries).toHaveLength(14);
    for (const delivery of deliveries) {
      const event = JSON.parse(delivery.body) as { type: string; dataschema: string; data: unknown };
      expect(event.dataschema).toBe(`https://gateway.test/schemas/v1/${event.type}.json`);
      const validate = ajv.getSchema(`${SCHEMA_ID_BASE}${event.type}.json`);
      expect(validate, event.type).toBeDefined();
      expect(validate!(event.data), `${event.type}: ${JSON.stringify(validate!.errors)}`).toBe(true);
    }
  });

  it("relays webhooks that verify with standardwebhooks and parse as CloudEvents", async () => {
    const clinicId = "fixtures-checkers";
    await createClinic(clinicId);
    const response = await postWebhook(clinicId, await resign(FIXTURES["04-serving.json"]!));
    expect(response.status).toBe(202);
    await settleDeliveries(clinicId);

    const [delivery] = await hisReceived(clinicId);
    expect(delivery).toBeDefined();
    const verified = new Webhook(SIGNING_SECRET).verify(delivery!.body, delivery!.headers);
    expect(verified).toMatchObject({ specversion: "1.0", type: "chup.visit.serving" });

    const event = HTTP.toEvent({ headers: delivery!.headers, body: delivery!.body }) as CloudEvent<Record<string, unknown>>;
    expect(event.validate()).toBe(true);
    expect(event.type).toBe("chup.visit.serving");
    expect(event.subject).toBe("visits/19738");
    expect(event.time).toBe("2024-01-18T12:50:27.000Z");
    expect(event.data?.state).toEqual({ code: 4, name: "Serving" });
  });
});

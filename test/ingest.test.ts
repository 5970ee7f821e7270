import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../src/ingest/body";
import vectors from "./fixtures/php/vectors.json";
import { CHUP_SECRET, createClinic, FIXTURES, postWebhook, resign } from "./support/chup";

const SERVING = FIXTURES["04-serving.json"]!;

async function quarantineRows(clinicId: string) {
  const { results } = await env.DB.prepare("SELECT status, reason, body, body_encoding, body_truncated, headers FROM quarantine WHERE clinic_id = ?")
    .bind(clinicId)
    .all<{ status: number; reason: string; body: string; body_encoding: string; body_truncated: number; headers: string }>();
  return results;
}

async function expectProblem(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = (await response.json()) as Record<string, unknown>;
  expect(problem.type).toBe(`tag:chup-edge-gateway,2026:problem:${code}`);
  expect(problem.status).toBe(status);
  expect(typeof problem.detail).toBe("string");
  return problem;
}

describe("signature check at ingest", () => {
  it("rejects a tampered payload with 401", async () => {
    await createClinic("sig-tampered");
    const tampered = (await resign(SERVING)).replace('"state": 4', '"state": 5');
    await expectProblem(await postWebhook("sig-tampered", tampered), 401, "invalid-signature");
  });

  it("rejects a wrong secret with 401", async () => {
    await createClinic("sig-wrong-secret");
    await expectProblem(await postWebhook("sig-wrong-secret", await resign(SERVING, "not-the-clinic-secret")), 401, "invalid-signature");
  });

  it("rejects a short signature with 401", async () => {
    await createClinic("sig-short");
    const short = (await resign(SERVING)).replace(/("signature"\s*:\s*"[0-9a-f]{63})[0-9a-f]/, "$1");
    const problem = await expectProblem(await postWebhook("sig-short", short), 401, "invalid-signature");
    expect(problem.detail).toMatch(/64 hex characters/);
  });

  it("quarantines a 401 with its body and headers", async () => {
    await createClinic("sig-quarantine");
    const body = await resign(SERVING, "not-the-clinic-secret");
    const problem = await expectProblem(await postWebhook("sig-quarantine", body, { "user-agent": "GuzzleHttp/7" }), 401, "invalid-signature");
    const [row] = await quarantineRows("sig-quarantine");
    expect(problem.quarantineId).toMatch(/^qtn_/);
    expect(row).toMatchObject({ status: 401, reason: "invalid-signature", body, body_encoding: "utf-8" });
    expect(JSON.parse(row!.headers)).toMatchObject({ "user-agent": "GuzzleHttp/7", "content-type": "application/json" });
  });

  it.each((vectors as { name: string; secret: string; body: string }[]).map((vector) => [vector.name, vector] as const))(
    "accepts the PHP-signed body %s",
    async (name, vector) => {
      const clinicId = `php-${name}`;
      await createClinic(clinicId, { secrets: [CHUP_SECRET, vector.secret] });
      const response = await postWebhook(clinicId, vector.body);
      expect(response.status, await response.clone().text()).toBe(202);
    },
  );

  it("accepts a pretty-printed published example signed over PHP's compact form", async () => {
    await createClinic("sig-pretty");
    const response = await postWebhook("sig-pretty", await resign(FIXTURES["03-alert.json"]!));
    expect(response.status).toBe(202);
  });
});

describe("bad input at ingest", () => {
  it("answers 404 for an unknown clinic", async () => {
    await expectProblem(await postWebhook("no-such-clinic", await resign(SERVING)), 404, "clinic-not-found");
  });

  it("answers 404 for a clinic id outside the allowed pattern", async () => {
    await expectProblem(await postWebhook("Bad_Clinic", "{}"), 404, "clinic-not-found");
  });

  it("answers 415 to a form-encoded body and quarantines it", async () => {
    await createClinic("bad-form");
    const response = await postWebhook("bad-form", "payload=x&signature=y", { "content-type": "application/x-www-form-urlencoded" });
    await expectProblem(response, 415, "unsupported-media-type");
    expect(await quarantineRows("bad-form")).toMatchObject([{ status: 415, body: "payload=x&signature=y" }]);
  });

  it("answers 413 past 1 MiB and keeps the first bytes", async () => {
    await createClinic("bad-large");
    const body = new TextEncoder().encode(`{"payload": "${"x".repeat(MAX_BODY_BYTES)}"}`);
    await expectProblem(await postWebhook("bad-large", body), 413, "body-too-large");
    const [row] = await quarantineRows("bad-large");
    expect(row?.body_truncated).toBe(1);
    expect(row?.body.length).toBe(64 * 1024);
  });

  it("answers 400 to invalid JSON", async () => {
    await createClinic("bad-json");
    const problem = await expectProblem(await postWebhook("bad-json", FIXTURES["06-no-show.json"]!), 400, "invalid-json");
    expect(problem.detail).toMatch(/not valid JSON/);
  });

  it("answers 400 to bytes that are not UTF-8 and keeps them as base64", async () => {
    await createClinic("bad-utf8");
    await expectProblem(await postWebhook("bad-utf8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 400, "invalid-encoding");
    expect(await quarantineRows("bad-utf8")).toMatchObject([{ body: "e//+fQ==", body_encoding: "base64" }]);
  });

  it.each([
    ["payload", '{"signature": "00"}'],
    ["payload.event", '{"payload": {"data": {}}, "signature": "00"}'],
    ["payload.data", '{"payload": {"event": "client_created"}, "signature": "00"}'],
    ["signature", '{"payload": {"event": "client_created", "data": {}}}'],
  ])("answers 400 naming a missing %s", async (field, body) => {
    const clinicId = `bad-missing-${field.replace(".", "-")}`;
    await createClinic(clinicId);
    const problem = await expectProblem(await postWebhook(clinicId, body), 400, "missing-field");
    expect(problem.field).toBe(field);
    expect(await quarantineRows(clinicId)).toHaveLength(1);
  });

  it("answers 400 to a JSON array body", async () => {
    await createClinic("bad-array");
    await expectProblem(await postWebhook("bad-array", "[1, 2]"), 400, "missing-field");
  });

  it("answers 400 to an empty body", async () => {
    await createClinic("bad-empty");
    await expectProblem(await postWebhook("bad-empty", ""), 400, "invalid-json");
  });
});

import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminRequest, hisInboxUrl, SIGNING_SECRET } from "./support/chup";

const VALID_SETTINGS = {
  name: "Klinik Setia",
  webhookSecrets: ["chup-secret-one"],
  delivery: { mode: "push", url: "https://his.example.test/chup", signingSecret: SIGNING_SECRET },
};

describe("admin authorization", () => {
  it("rejects a request without a token", async () => {
    const response = await exports.default.fetch("https://gateway.test/admin/v1/clinics/any");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="admin"');
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("rejects a wrong token", async () => {
    const response = await exports.default.fetch("https://gateway.test/admin/v1/clinics/any", { headers: { authorization: "Bearer wrong" } });
    expect(response.status).toBe(401);
  });
});

describe("clinic configuration", () => {
  it("creates a clinic with the default time zone", async () => {
    const response = await adminRequest("PUT", "/admin/v1/clinics/klinik-setia", VALID_SETTINGS);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ id: "klinik-setia", timezone: "Asia/Kuala_Lumpur", webhookSecretCount: 1 });
  });

  it("updates an existing clinic with 200", async () => {
    await adminRequest("PUT", "/admin/v1/clinics/klinik-update", VALID_SETTINGS);
    const response = await adminRequest("PUT", "/admin/v1/clinics/klinik-update", { ...VALID_SETTINGS, webhookSecrets: ["chup-secret-one", "chup-secret-two"] });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ webhookSecretCount: 2 });
  });

  it("never returns a secret", async () => {
    await adminRequest("PUT", "/admin/v1/clinics/klinik-secret", { ...VALID_SETTINGS, delivery: { ...VALID_SETTINGS.delivery, url: hisInboxUrl("x") } });
    const text = await (await adminRequest("GET", "/admin/v1/clinics/klinik-secret")).text();
    expect(text).not.toContain("chup-secret-one");
    expect(text).not.toContain(SIGNING_SECRET);
    expect(text).not.toContain("whsec_");
  });

  it("answers 404 for an unknown clinic", async () => {
    const response = await adminRequest("GET", "/admin/v1/clinics/nobody");
    expect(response.status).toBe(404);
  });

  it.each([
    ["clinicId", "/admin/v1/clinics/Klinik_Setia", VALID_SETTINGS],
    ["timezone", "/admin/v1/clinics/bad-tz", { ...VALID_SETTINGS, timezone: "Malaysia/Penang" }],
    ["webhookSecrets", "/admin/v1/clinics/bad-secrets", { ...VALID_SETTINGS, webhookSecrets: ["a", "b", "c"] }],
    ["delivery.url", "/admin/v1/clinics/bad-url", { ...VALID_SETTINGS, delivery: { ...VALID_SETTINGS.delivery, url: "ftp://his" } }],
    ["delivery.signingSecret", "/admin/v1/clinics/bad-signing", { ...VALID_SETTINGS, delivery: { ...VALID_SETTINGS.delivery, signingSecret: "secret" } }],
    ["delivery.mode", "/admin/v1/clinics/bad-mode", { ...VALID_SETTINGS, delivery: { ...VALID_SETTINGS.delivery, mode: "carrier-pigeon" } }],
  ])("rejects an invalid %s with 400 naming it", async (field, path, body) => {
    const response = await adminRequest("PUT", path, body);
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((error) => error.field)).toContain(field);
  });

  it("rejects a body that is not JSON with a problem", async () => {
    const response = await exports.default.fetch("https://gateway.test/admin/v1/clinics/bad-body", {
      method: "PUT",
      headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
      body: "{name:",
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("unknown routes", () => {
  it("answer 404 as problem+json", async () => {
    const response = await exports.default.fetch("https://gateway.test/nowhere");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});

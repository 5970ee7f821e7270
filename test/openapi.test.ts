import { validate } from "@readme/openapi-parser";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { exports } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import * as adminClinics from "../src/admin/clinics";
import * as adminDelivery from "../src/admin/delivery";
import * as adminHisTokens from "../src/admin/his-tokens";
import * as adminMaintenance from "../src/admin/maintenance";
import * as adminQuarantine from "../src/admin/quarantine";
import * as hisRoutesModule from "../src/his/routes";
import indexSource from "../src/index.ts?raw";
import * as ingestModule from "../src/ingest/route";
import { openApiRoutes, SWAGGER_UI_VERSION } from "../src/openapi";
import { OPERATIONS } from "../src/openapi/document";
import type { HttpMethod, OpenApiDocument, SchemaObject } from "../src/openapi/types";
import * as schemasModule from "../src/schemas";
import { ADMIN_TOKEN, CHUP_SECRET, FIXTURES, hisInboxUrl, resign, setHisDefault, settleDeliveries, SIGNING_SECRET } from "./support/chup";

const openApi = (await (await openApiRoutes.request("/openapi.json")).json()) as OpenApiDocument;

// --- Routes of the Worker, read from src/index.ts ---------------------------

/** Mounts in src/index.ts that the document leaves out on purpose. */
const UNDOCUMENTED_MOUNTS: Record<string, string> = {
  opsRoutes: "the HTML operations page under /admin, used from a browser with a session cookie",
  openApiRoutes: "the document and its page themselves",
};

/** Every Hono app the route modules export, by export name. */
const ROUTE_APPS: Record<string, unknown> = { ...adminClinics, ...adminDelivery, ...adminHisTokens, ...adminMaintenance, ...adminQuarantine, ...hisRoutesModule, ...ingestModule, ...schemasModule };

const mounts = [...indexSource.matchAll(/^app\.route\("([^"]*)", (\w+)\);$/gm)].map(([, prefix, name]) => ({ prefix: prefix!, name: name! }));
const directRoutes = [...indexSource.matchAll(/^app\.(get|post|put|delete|patch)\("([^"]*)"/gm)].map(([, method, path]) => ({ method: method!, path: path! }));

/** Builds a Hono app with the same routes as the Worker, from the mounts and routes src/index.ts declares. */
function mirrorOfWorker(): Hono {
  const mirror = new Hono();
  for (const { prefix, name } of mounts) {
    if (name in UNDOCUMENTED_MOUNTS) {
      continue;
    }
    const app = ROUTE_APPS[name];
    if (!(app instanceof Hono)) {
      throw new Error(`src/index.ts mounts ${name}, which this test does not import; add its module to ROUTE_APPS or to UNDOCUMENTED_MOUNTS.`);
    }
    mirror.route(prefix, app);
  }
  for (const { method, path } of directRoutes) {
    mirror.on(method.toUpperCase(), path, (c) => c.body(null));
  }
  return mirror;
}

/** Returns "METHOD /path/{param}" of each route in a Hono app's `routes`, leaving out middleware ("ALL"). */
function routeKeys(app: Hono): Set<string> {
  const keys = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL") {
      continue;
    }
    const template = route.path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");
    keys.add(`${route.method} ${template}`);
  }
  return keys;
}

function documentedKeys(): Set<string> {
  const keys = new Set<string>();
  for (const [path, item] of Object.entries(openApi.paths)) {
    for (const method of Object.keys(item)) {
      keys.add(`${method.toUpperCase()} ${path}`);
    }
  }
  return keys;
}

// --- JSON Schema validation of the document's schemas ----------------------

const DOCUMENT_ID = "urn:chup-edge-gateway:openapi";

function schemaValidator(): Ajv2020 {
  // Strict mode turns every keyword ajv does not know, or uses wrongly, into an error.
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  // The component schemas' $refs point into the document (#/components/schemas/…),
  // so they are wrapped the same way, with "components" declared for strict mode.
  ajv.addKeyword({ keyword: "components" });
  ajv.addSchema({ $id: DOCUMENT_ID, components: { schemas: openApi.components.schemas } });
  return ajv;
}

const ajv = schemaValidator();

function validatorFor(schema: SchemaObject | { $ref: string }): ValidateFunction {
  if ("$ref" in schema && typeof schema.$ref === "string") {
    const validateRef = ajv.getSchema(`${DOCUMENT_ID}${schema.$ref}`);
    if (!validateRef) {
      throw new Error(`no schema at ${schema.$ref}`);
    }
    return validateRef;
  }
  return ajv.compile(schema);
}

describe("OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    expect(openApi.openapi).toMatch(/^3\.1\.\d+$/);
    // The parser dereferences its argument in place, so it gets a copy.
    const result = await validate(structuredClone(openApi) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it("has only valid JSON Schema 2020-12 schemas", () => {
    for (const name of Object.keys(openApi.components.schemas)) {
      expect(() => validatorFor({ $ref: `#/components/schemas/${name}` }), name).not.toThrow();
    }
    for (const [path, item] of Object.entries(openApi.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const parameter of operation.parameters ?? []) {
          expect(() => ajv.compile(parameter.schema), `${method} ${path} ${parameter.name}`).not.toThrow();
        }
      }
    }
  });

  it("references nothing outside itself", () => {
    const refs = JSON.stringify(openApi).match(/"\$ref":"[^"]*"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^"\$ref":"#\/components\/(schemas|headers)\/[\w.-]+"$/);
    }
  });

  it("describes every route of the Worker", () => {
    const routes = routeKeys(mirrorOfWorker());
    expect(routes.size).toBeGreaterThan(30);
    expect([...routes].filter((key) => !documentedKeys().has(key))).toEqual([]);
  });

  it("describes no route the Worker lacks", () => {
    const routes = routeKeys(mirrorOfWorker());
    expect([...documentedKeys()].filter((key) => !routes.has(key))).toEqual([]);
  });

  it("lists problem+json errors on every operation", () => {
    for (const [path, item] of Object.entries(openApi.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(Object.keys(operation.responses), where).toContain("500");
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) {
            expect(Object.keys(response.content ?? {}), `${where} ${status}`).not.toContain("application/problem+json");
            continue;
          }
          expect(response.content, `${where} ${status}`).toEqual({ "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } });
          expect(response.description, `${where} ${status}`).toMatch(/`[a-z-]+`/);
        }
      }
    }
  });

  it("lists token and validation problems", () => {
    for (const spec of OPERATIONS) {
      const statuses = Object.keys(openApi.paths[spec.path]![spec.method]!.responses);
      const where = spec.operationId;
      if (spec.auth === "admin") {
        expect(statuses, where).toEqual(expect.arrayContaining(["401", "429", "503"]));
      }
      if (spec.auth === "his") {
        expect(statuses, where).toEqual(expect.arrayContaining(["401", "429"]));
      }
      const validated = spec.pathParams !== undefined || spec.query !== undefined || spec.requestBody !== undefined;
      if (spec.auth !== "none" && validated) {
        expect(statuses, where).toContain("400");
      }
    }
  });

  it("requires a bearer token on admin and HIS routes", () => {
    for (const spec of OPERATIONS) {
      const security = openApi.paths[spec.path]![spec.method]!.security;
      const expected = { admin: [{ adminToken: [] }], his: [{ hisToken: [] }], none: undefined }[spec.auth];
      expect(security, spec.operationId).toEqual(expected);
      expect(spec.path.startsWith("/admin/v1/"), spec.operationId).toBe(spec.auth === "admin");
      expect(spec.path.startsWith("/his/v1/"), spec.operationId).toBe(spec.auth === "his");
    }
  });

  it("generates request bodies from the route schemas", () => {
    const putClinic = openApi.paths["/admin/v1/clinics/{clinicId}"]!.put!;
    expect(putClinic.requestBody?.content["application/json"]?.schema).toEqual({ $ref: "#/components/schemas/ClinicSettings" });
    const settings = openApi.components.schemas.ClinicSettings as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(settings.properties)).toEqual(Object.keys(adminClinics.clinicSettingsSchema.shape));
    expect(settings.required).toEqual(["name", "webhookSecrets", "delivery"]);
  });

  it("has request examples both schemas accept", () => {
    for (const spec of OPERATIONS.filter((operation) => operation.requestBody !== undefined)) {
      const { schema, example } = spec.requestBody!;
      expect(schema.safeParse(example).error, spec.operationId).toBeUndefined();
      const media = openApi.paths[spec.path]![spec.method]!.requestBody!.content["application/json"]!;
      const validateExample = validatorFor(media.schema);
      expect(validateExample(media.example), `${spec.operationId}: ${ajv.errorsText(validateExample.errors)}`).toBe(true);
    }
  });
});

describe("OpenAPI routes", () => {
  it("serve the document as JSON", async () => {
    const response = await openApiRoutes.request("/openapi.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("serve a page that loads the document", async () => {
    const response = await openApiRoutes.request("/docs");
    const page = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page).toContain("url: './openapi.json'");
    expect(page).toContain(`swagger-ui-dist@${SWAGGER_UI_VERSION}/swagger-ui-bundle.js`);
  });

  it("are exact paths", () => {
    for (const route of openApiRoutes.routes) {
      expect(route.path).toMatch(/^\/[\w.-]+$/);
    }
  });

  it("match no route of the Worker", async () => {
    const mirror = mirrorOfWorker();
    for (const route of openApiRoutes.routes) {
      expect((await mirror.request(route.path, { method: route.method })).status, route.path).toBe(404);
      for (const { prefix, name } of mounts.filter((mount) => mount.name in UNDOCUMENTED_MOUNTS && mount.name !== "openApiRoutes")) {
        expect(route.path.startsWith(`${prefix}/`), `${route.path} under ${name}`).toBe(false);
      }
    }
  });

  it("work when mounted at the root", async () => {
    const app = mirrorOfWorker().route("/", openApiRoutes);
    expect((await app.request("/openapi.json")).status).toBe(200);
    expect((await app.request("/docs")).status).toBe(200);
  });
});

// --- The Worker's real responses against the document ----------------------

/** "operationId status" of each response checked against the document. */
const exercised = new Set<string>();

interface Call {
  method: HttpMethod;
  /** The documented path template. */
  path: string;
  params?: Record<string, string>;
  query?: string;
  token?: string | null;
  body?: unknown;
  rawBody?: string;
}

/**
 * Sends a request to the Worker, checks that its status, media type and
 * body are as the document describes, and returns the parsed body.
 */
async function callDocumented(call: Call, expectedStatus: number): Promise<any> {
  const path = call.path.replace(/\{(\w+)\}/g, (_, name: string) => call.params?.[name] ?? `{${name}}`);
  const headers: Record<string, string> = { "content-type": "application/json" };
  const token = call.token === undefined ? ADMIN_TOKEN : call.token;
  if (token !== null) {
    headers.authorization = `Bearer ${token}`;
  }
  const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  const response = await exports.default.fetch(`https://gateway.test${path}${call.query ?? ""}`, { method: call.method.toUpperCase(), headers, body });
  const text = await response.text();
  const where = `${call.method.toUpperCase()} ${path} → ${response.status} ${text.slice(0, 300)}`;
  expect(response.status, where).toBe(expectedStatus);

  const operation = openApi.paths[call.path]?.[call.method];
  expect(operation, `${call.method.toUpperCase()} ${call.path} is not in the document`).toBeDefined();
  const documented = operation!.responses[String(response.status)];
  expect(documented, `${where}: status not documented`).toBeDefined();
  exercised.add(`${operation!.operationId} ${response.status}`);
  if (documented!.content === undefined) {
    expect(text, where).toBe("");
    return undefined;
  }

  const mediaType = response.headers.get("content-type")?.split(";")[0] ?? "";
  const media = documented!.content[mediaType];
  expect(media, `${where}: media type ${mediaType} not documented`).toBeDefined();
  const parsed = JSON.parse(text) as unknown;
  const validateBody = validatorFor(media!.schema);
  expect(validateBody(parsed), `${where}: ${ajv.errorsText(validateBody.errors)}`).toBe(true);
  return parsed;
}

const WEBHOOK = "/webhooks/chup/{clinicId}";
const CLINIC = "/admin/v1/clinics/{clinicId}";
const PUSH_CLINIC = "openapi-push";
const PULL_CLINIC = "openapi-pull";
const VISIT_ID = "19738";
const CLIENT_ID = "3364";
const VISIT_DATE = "?date=2024-01-18";
const OTHER_SECRET = "openapi-other-chup-secret";

describe("Worker responses match the document", () => {
  const push = { clinicId: PUSH_CLINIC };
  let hisToken = "";

  it("for service and schema routes", async () => {
    await callDocumented({ method: "get", path: "/", token: null }, 200);
    await callDocumented({ method: "get", path: "/schemas/v1/{file}", params: { file: "chup.visit.served.json" }, token: null }, 200);
    await callDocumented({ method: "get", path: "/schemas/v1/{file}", params: { file: "chup.visit.nothing.json" }, token: null }, 404);
  });

  it("for clinic settings", async () => {
    const settings = {
      name: "OpenAPI test clinic",
      webhookSecrets: [CHUP_SECRET],
      delivery: { mode: "push", url: hisInboxUrl(PUSH_CLINIC), signingSecret: SIGNING_SECRET },
    };
    await callDocumented({ method: "put", path: CLINIC, params: push, body: settings }, 201);
    await callDocumented({ method: "put", path: CLINIC, params: push, body: settings }, 200);
    await callDocumented({ method: "put", path: CLINIC, params: push, body: { ...settings, name: "" } }, 400);
    await callDocumented({ method: "put", path: CLINIC, params: push, rawBody: "{not json" }, 400);
    await callDocumented({ method: "get", path: CLINIC, params: push }, 200);
    await callDocumented({ method: "get", path: CLINIC, params: { clinicId: "openapi-nobody" } }, 404);
    await callDocumented({ method: "get", path: CLINIC, params: { clinicId: "Not_A_Clinic" } }, 400);
    await callDocumented({ method: "get", path: CLINIC, params: push, token: null }, 401);
    await callDocumented({ method: "get", path: "/admin/v1/clinics" }, 200);
    await callDocumented({ method: "post", path: "/admin/v1/maintenance/reencrypt-secrets" }, 200);
  });

  it("for webhooks", async () => {
    const body = await resign(FIXTURES["01-join-live-queue.json"]!);
    const accepted = await callDocumented({ method: "post", path: WEBHOOK, params: push, rawBody: body, token: null }, 202);
    await callDocumented({ method: "post", path: WEBHOOK, params: push, rawBody: body, token: null }, 200);
    await callDocumented({ method: "post", path: WEBHOOK, params: push, rawBody: FIXTURES["06-no-show.json"], token: null }, 400);
    await callDocumented({ method: "post", path: WEBHOOK, params: push, rawBody: await resign(body, OTHER_SECRET), token: null }, 401);
    await callDocumented({ method: "post", path: WEBHOOK, params: { clinicId: "openapi-nobody" }, rawBody: body, token: null }, 404);
    await settleDeliveries(PUSH_CLINIC);
    await callDocumented({ method: "get", path: `${CLINIC}/events/{eventId}`, params: { ...push, eventId: accepted.eventId } }, 200);
  });

  it("for disabling a clinic", async () => {
    await callDocumented({ method: "post", path: `${CLINIC}/disable`, params: push }, 200);
    const body = await resign(FIXTURES["03-alert.json"]!);
    await callDocumented({ method: "post", path: WEBHOOK, params: push, rawBody: body, token: null }, 403);
    await callDocumented({ method: "post", path: `${CLINIC}/enable`, params: push }, 200);
  });

  it("for the quarantine", async () => {
    const list = await callDocumented({ method: "get", path: `${CLINIC}/quarantine`, params: push, query: "?limit=10" }, 200);
    const rejections = list.quarantine as { id: string; reason: string }[];
    const invalidJson = rejections.find((entry) => entry.reason === "invalid-json")!;
    const wrongSecret = rejections.find((entry) => entry.reason === "invalid-signature")!;
    const entry = (quarantineId: string) => ({ ...push, quarantineId });

    await callDocumented({ method: "get", path: `${CLINIC}/quarantine/{quarantineId}`, params: entry(invalidJson.id) }, 200);
    await callDocumented({ method: "get", path: `${CLINIC}/quarantine/{quarantineId}`, params: entry(`qtn_${"0".repeat(32)}`) }, 404);
    await callDocumented({ method: "post", path: `${CLINIC}/quarantine/{quarantineId}/reingest`, params: entry(invalidJson.id) }, 422);

    // The request signed with another secret is accepted once that secret is added.
    await callDocumented({ method: "post", path: `${CLINIC}/webhook-secrets`, params: push, body: { secret: OTHER_SECRET } }, 200);
    await callDocumented({ method: "post", path: `${CLINIC}/webhook-secrets`, params: push, body: { secret: "a-third-chup-secret" } }, 409);
    await callDocumented({ method: "post", path: `${CLINIC}/quarantine/{quarantineId}/reingest`, params: entry(wrongSecret.id) }, 202);
    await callDocumented({ method: "post", path: `${CLINIC}/quarantine/{quarantineId}/reingest`, params: entry(wrongSecret.id) }, 200);
    await callDocumented({ method: "post", path: `${CLINIC}/webhook-secrets/retire-oldest`, params: push }, 200);
    await callDocumented({ method: "post", path: `${CLINIC}/webhook-secrets/retire-oldest`, params: push }, 409);
  });

  it("for signing secret rotation", async () => {
    const next = { secret: `whsec_${btoa("next-signing-key-for-the-openapi")}` };
    await callDocumented({ method: "post", path: `${CLINIC}/signing-secrets`, params: push, body: next }, 200);
    await callDocumented({ method: "post", path: `${CLINIC}/signing-secrets/promote`, params: push }, 200);
    await callDocumented({ method: "post", path: `${CLINIC}/signing-secrets/promote`, params: push }, 409);
  });

  it("for delivery", async () => {
    await settleDeliveries(PUSH_CLINIC);
    // The HIS rejects the next event with 400, which dead-letters it at once.
    await setHisDefault(PUSH_CLINIC, { status: 400 });
    const rejected = await callDocumented(
      { method: "post", path: WEBHOOK, params: push, rawBody: await resign(FIXTURES["04-serving.json"]!, OTHER_SECRET), token: null },
      202,
    );
    await settleDeliveries(PUSH_CLINIC);
    await setHisDefault(PUSH_CLINIC, { status: 200 });

    await callDocumented({ method: "get", path: `${CLINIC}/queue`, params: push }, 200);
    await callDocumented({ method: "get", path: `${CLINIC}/events`, params: push, query: "?state=delivered" }, 200);
    await callDocumented({ method: "get", path: `${CLINIC}/events`, params: push, query: "?state=lost" }, 400);
    await callDocumented({ method: "get", path: `${CLINIC}/events/{eventId}`, params: { ...push, eventId: `evt_${"0".repeat(32)}` } }, 404);
    const deadLetters = await callDocumented({ method: "get", path: `${CLINIC}/dead-letters`, params: push }, 200);
    expect(deadLetters.deadLetters.map((event: { eventId: string }) => event.eventId)).toEqual([rejected.eventId]);

    const discard = { ...push, eventId: rejected.eventId };
    await callDocumented({ method: "post", path: `${CLINIC}/dead-letters/{eventId}/discard`, params: discard, body: { reason: "checked by hand" } }, 204);
    await callDocumented({ method: "post", path: `${CLINIC}/dead-letters/{eventId}/discard`, params: discard, body: { reason: "checked by hand" } }, 404);
    await callDocumented({ method: "post", path: `${CLINIC}/dead-letters/replay`, params: push, body: { all: true } }, 200);
    await callDocumented({ method: "post", path: `${CLINIC}/dead-letters/replay`, params: push, body: {} }, 400);
    await callDocumented({ method: "post", path: `${CLINIC}/delivery/pause`, params: push }, 200);
    await callDocumented({ method: "post", path: `${CLINIC}/delivery/resume`, params: push }, 200);
  });

  it("for HIS tokens", async () => {
    const created = await callDocumented({ method: "post", path: `${CLINIC}/his-tokens`, params: push, body: { name: "OpenAPI test" } }, 201);
    hisToken = created.token;
    const spare = await callDocumented({ method: "post", path: `${CLINIC}/his-tokens`, params: push, body: { name: "to revoke" } }, 201);
    await callDocumented({ method: "get", path: `${CLINIC}/his-tokens`, params: push }, 200);
    await callDocumented({ method: "delete", path: `${CLINIC}/his-tokens/{tokenId}`, params: { ...push, tokenId: spare.id } }, 204);
    await callDocumented({ method: "delete", path: `${CLINIC}/his-tokens/{tokenId}`, params: { ...push, tokenId: spare.id } }, 404);
  });

  it("for the read API", async () => {
    const his = { token: hisToken, params: push };
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/queue", ...his, query: VISIT_DATE }, 200);
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/queue", ...his, query: "?date=18-01-2024" }, 400);
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/queue", ...his, token: "chis_unknown" }, 401);
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/visits/{visitId}", ...his, params: { ...push, visitId: VISIT_ID } }, 200);
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/visits/{visitId}", ...his, params: { ...push, visitId: "1" } }, 404);
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/visits/{visitId}", ...his, params: { ...push, visitId: "abc" } }, 400);
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/appointments", ...his, query: VISIT_DATE }, 200);
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/patients/{clientId}/journey", ...his, params: { ...push, clientId: CLIENT_ID }, query: VISIT_DATE }, 200);
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/wait-times", ...his, query: VISIT_DATE }, 200);
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/events", ...his }, 409);
  });

  it("for the pull API", async () => {
    const settings = { name: "OpenAPI pull clinic", webhookSecrets: [CHUP_SECRET], delivery: { mode: "pull", signingSecret: SIGNING_SECRET } };
    const pull = { clinicId: PULL_CLINIC };
    await callDocumented({ method: "put", path: CLINIC, params: pull, body: settings }, 201);
    const token = (await callDocumented({ method: "post", path: `${CLINIC}/his-tokens`, params: pull, body: { name: "relay agent" } }, 201)).token;
    await callDocumented({ method: "post", path: WEBHOOK, params: pull, rawBody: await resign(FIXTURES["01-join-live-queue.json"]!), token: null }, 202);

    const batch = await callDocumented({ method: "get", path: "/his/v1/{clinicId}/events", params: pull, token, query: "?limit=10" }, 200);
    expect(batch.events).toHaveLength(1);
    await callDocumented({ method: "get", path: "/his/v1/{clinicId}/events", params: pull, token, query: "?wait=60" }, 400);
    await callDocumented({ method: "post", path: "/his/v1/{clinicId}/ack", params: pull, token, body: { cursor: batch.nextCursor } }, 200);
    await callDocumented({ method: "post", path: "/his/v1/{clinicId}/ack", params: pull, token, body: {} }, 400);
  });

  // Runs after the tests above in this block and sums up what they sent.
  it("covering every operation", () => {
    const succeeded = new Set([...exercised].filter((key) => /\s2\d\d$/.test(key)).map((key) => key.split(" ")[0]));
    const missing = OPERATIONS.map((spec) => spec.operationId).filter((operationId) => !succeeded.has(operationId));
    expect(missing).toEqual([]);
  });
});

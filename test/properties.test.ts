import { env, exports } from "cloudflare:workers";
import errorsDoc from "../docs/errors.md?raw";
import fc from "fast-check";
import { afterEach, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from "vitest";
import {
  adminApiRequest,
  type ApiRequest,
  arbitraryBytes,
  arbitraryJson,
  buildDamagedFixture,
  buildMutatedFixture,
  damagedFixture,
  hisApiRequest,
  mutatedFixture,
  type WebhookInput,
} from "./support/arbitraries";
import {
  ADMIN_TOKEN,
  adminRequest,
  CHUP_SECRET,
  createClinic,
  FIXTURES,
  hisInboxUrl,
  INVALID_FIXTURES,
  postWebhook,
  resign,
  setHisRules,
  settleDeliveries,
  SIGNING_SECRET,
} from "./support/chup";
import { formatArgument } from "./support/console-lines";

/*
 * Property-based tests: generated webhooks, admin requests and HIS requests
 * against the Worker in this isolate, with D1, KV and the delivery queues
 * behind it and the mock HIS on loopback. Each property checks one rule
 * from docs/errors.md, docs/events.md or the README on every response.
 * With these run counts the file took 27 seconds alone and 48 seconds
 * within the full `npx vitest run --project workers`, on a 2-core machine
 * that other test runs shared.
 */

const GATEWAY = "https://gateway.test";
const PROBLEM_TYPE_PREFIX = "tag:chup-edge-gateway,2026:problem:";
/** Problems of the only 5xx responses that docs/errors.md lists. */
const DOCUMENTED_503_PROBLEMS = ["storage-unavailable", "admin-not-configured"];
/** Statuses of the webhooks that docs/errors.md keeps in the quarantine table. */
const QUARANTINED_STATUSES = [400, 401, 413, 415];
/** Wall-clock cap on one property, shrinking included. fast-check reports the smallest counterexample found by then. */
const PROPERTY_TIME_LIMIT_MS = 40_000;
const TEST_TIMEOUT_MS = 60_000;

/*
 * Each kind of webhook input goes to a clinic of its own, so that no clinic
 * reaches the ingest rate limit (1200 a minute in wrangler.toml) and
 * returns 429 in place of running the pipeline.
 */
const BYTES_CLINIC = "prop-bytes";
const JSON_CLINIC = "prop-json";
const DAMAGED_CLINIC = "prop-damaged";
const MUTATED_CLINIC = "prop-mutated";
const FHIR_CLINIC = "prop-fhir";
const CONCURRENT_CLINIC = "prop-concurrent";
const ADMIN_CLINIC = "prop-admin";
const HIS_CLINIC = "prop-his";
const HIS_PUSH_CLINIC = "prop-his-push";

/** One gateway response, read once, with the request that caused it. */
interface RecordedResponse {
  request: string;
  method: string;
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  text: string;
  /** console.error lines written while the request ran. */
  errorLines: string[];
}

let errorSpy: MockInstance<typeof console.error>;

beforeEach(() => {
  errorSpy = vi.spyOn(console, "error");
});

afterEach(() => {
  errorSpy.mockRestore();
});

async function send(method: string, target: string, headers: Record<string, string>, body: string | Uint8Array | null): Promise<RecordedResponse> {
  const errorsBefore = errorSpy.mock.calls.length;
  const init: RequestInit = { method, headers };
  if (body !== null && !["GET", "HEAD"].includes(method.toUpperCase())) {
    init.body = body;
  }
  const fetched = await exports.default.fetch(`${GATEWAY}${target}`, init);
  const text = await fetched.text();
  return {
    request: `${method} ${target}`,
    method: method.toUpperCase(),
    status: fetched.status,
    contentType: fetched.headers.get("content-type"),
    retryAfter: fetched.headers.get("retry-after"),
    text,
    errorLines: errorSpy.mock.calls.slice(errorsBefore).map((args) => args.map(formatArgument).join(" ")),
  };
}

function postRaw(clinicId: string, input: WebhookInput): Promise<RecordedResponse> {
  const headers: Record<string, string> = input.contentType === null ? {} : { "content-type": input.contentType };
  return send("POST", `/webhooks/chup/${clinicId}`, headers, input.body);
}

/** Formats a response for an assertion message, so a failing property shows what the gateway sent. */
function shown(response: RecordedResponse): string {
  const text = response.text.length > 1500 ? `${response.text.slice(0, 1500)}… (${response.text.length} chars)` : response.text;
  return `${response.request} -> ${response.status} ${response.contentType ?? "(no content-type)"}\n${text}`;
}

function parsedBody(response: RecordedResponse): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    expect.fail(`body is not JSON: ${shown(response)}`);
  }
  expect(typeof body, `body is not a JSON object: ${shown(response)}`).toBe("object");
  expect(body, `body is null: ${shown(response)}`).not.toBeNull();
  expect(Array.isArray(body), `body is an array: ${shown(response)}`).toBe(false);
  return body as Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Checks, one rule each
// ---------------------------------------------------------------------------

/** Checks one rule on a response. `clinicId` is the clinic that the request was for. */
type Check = (response: RecordedResponse, clinicId: string) => void | Promise<void>;

/** Checks that a 5xx response is one of the 503 problems that docs/errors.md lists, with Retry-After. */
function expectNoUndocumentedServerError(response: RecordedResponse): void {
  if (response.status < 500) {
    return;
  }
  expect(response.status, shown(response)).toBe(503);
  expect(response.retryAfter, `503 without Retry-After: ${shown(response)}`).not.toBeNull();
  if (response.method !== "HEAD") {
    const type = String(parsedBody(response).type);
    expect(DOCUMENTED_503_PROBLEMS.map((name) => PROBLEM_TYPE_PREFIX + name), shown(response)).toContain(type);
  }
}

/** Checks that a non-2xx response is an RFC 9457 problem with type, title, status and detail. */
function expectProblemOnError(response: RecordedResponse): void {
  if (response.status >= 200 && response.status < 300) {
    return;
  }
  expect(response.contentType, shown(response)).toBe("application/problem+json");
  if (response.method === "HEAD") {
    return;
  }
  const problem = parsedBody(response);
  expect(String(problem.type), shown(response)).toMatch(new RegExp(`^${PROBLEM_TYPE_PREFIX}[a-z-]+$`));
  expect(typeof problem.title, `title: ${shown(response)}`).toBe("string");
  expect(problem.title, `title: ${shown(response)}`).not.toBe("");
  expect(problem.status, shown(response)).toBe(response.status);
  expect(typeof problem.detail, `detail: ${shown(response)}`).toBe("string");
  expect(problem.detail, `detail: ${shown(response)}`).not.toBe("");
}

/** Status of each problem in the table of docs/errors.md, keyed by the problem's name. */
const DOCUMENTED_PROBLEMS = new Map([...errorsDoc.matchAll(/^\| `([a-z-]+)` \| (\d{3}) \|/gm)].map((match) => [match[1]!, Number(match[2])]));

/** Checks that a problem response names a problem that docs/errors.md lists, with the status it lists. */
function expectDocumentedProblem(response: RecordedResponse): void {
  if (response.status < 300 || response.method === "HEAD" || response.contentType !== "application/problem+json") {
    return;
  }
  const name = String(parsedBody(response).type).slice(PROBLEM_TYPE_PREFIX.length);
  expect([...DOCUMENTED_PROBLEMS.keys()], `problem "${name}" is not in docs/errors.md: ${shown(response)}`).toContain(name);
  expect(DOCUMENTED_PROBLEMS.get(name), `status of "${name}" differs from docs/errors.md: ${shown(response)}`).toBe(response.status);
}

/** Checks that a 400, 401, 413 or 415 webhook response names an existing quarantine row with that status. */
async function expectQuarantined(response: RecordedResponse): Promise<void> {
  if (!QUARANTINED_STATUSES.includes(response.status)) {
    return;
  }
  const quarantineId = parsedBody(response).quarantineId;
  expect(quarantineId, shown(response)).toMatch(/^qtn_[0-9a-f]{32}$/);
  const row = await env.DB.prepare("SELECT status FROM quarantine WHERE id = ?").bind(quarantineId).first<{ status: number }>();
  expect(row, `no quarantine row ${String(quarantineId)}: ${shown(response)}`).not.toBeNull();
  expect(row?.status, shown(response)).toBe(response.status);
}

/** Checks that a 2xx webhook response is 202 accepted or 200 duplicate, with the event id and nothing else. */
function expectAcknowledgement(response: RecordedResponse): void {
  if (response.status < 200 || response.status >= 300) {
    return;
  }
  expect([200, 202], shown(response)).toContain(response.status);
  const body = parsedBody(response);
  expect(Object.keys(body).sort(), shown(response)).toEqual(["eventId", "status"]);
  expect(body.status, shown(response)).toBe(response.status === 202 ? "accepted" : "duplicate");
  expect(body.eventId, shown(response)).toMatch(/^evt_[0-9a-f]{32}$/);
}

/** Checks that no "unhandled error" line was logged, which the error handler writes for any exception that is not a ProblemError. */
function expectNoUnhandledErrorLogged(response: RecordedResponse): void {
  const unhandled = response.errorLines.filter((line) => line.includes("unhandled error"));
  expect(unhandled, shown(response)).toEqual([]);
}

/** Every CloudEvent type that docs/events.md lists. The gateway may relay no other. */
const DOCUMENTED_EVENT_TYPES = [
  "chup.visit.queued",
  "chup.visit.moved",
  "chup.visit.returned_from_no_show",
  "chup.visit.alerted",
  "chup.visit.arrived",
  "chup.visit.serving",
  "chup.visit.served",
  "chup.visit.cancelled_by_system",
  "chup.visit.cancelled",
  "chup.visit.no_show",
  "chup.visit.state_changed",
  "chup.visit.deleted",
  "chup.appointment.booked",
  "chup.appointment.rescheduled",
  "chup.appointment.updated",
  "chup.appointment.deleted",
  ...["client", "service", "staff"].flatMap((resource) => ["created", "updated", "deleted"].map((action) => `chup.${resource}.${action}`)),
  "chup.service.staff_assignment_changed",
  "chup.staff.service_assignment_changed",
  "chup.unknown",
];

/** Caller address of the event look-ups, kept apart from other admin requests' rate limit bucket. */
const EVENT_LOOKUP_CALLER = "192.0.2.250";

/** Checks that an accepted webhook is stored as an event of a type that docs/events.md lists. */
async function expectDocumentedEventType(response: RecordedResponse, clinicId: string): Promise<void> {
  if (response.status !== 202) {
    return;
  }
  const eventId = String(parsedBody(response).eventId);
  const detail = await send("GET", `/admin/v1/clinics/${clinicId}/events/${eventId}`, { authorization: `Bearer ${ADMIN_TOKEN}`, "cf-connecting-ip": EVENT_LOOKUP_CALLER }, null);
  expect(detail.status, shown(detail)).toBe(200);
  const event = JSON.parse(detail.text) as { type?: string; chupEvent?: string };
  expect(DOCUMENTED_EVENT_TYPES, `event ${eventId} from Chup event ${JSON.stringify(event.chupEvent)}: ${shown(response)}`).toContain(event.type);
}

/**
 * Checks that the response is not a 503. D1 and the delivery queues work
 * throughout these tests, so a 503 storage-unavailable here means that the
 * pipeline threw on the input itself and reported it as a storage failure.
 * A sender that retries on 503 would then get the same 503 on every retry.
 */
function expectNoStorageFailure(response: RecordedResponse): void {
  expect(response.status, shown(response)).not.toBe(503);
}

const WEBHOOK_CHECKS: [string, Check][] = [
  ["returns no undocumented 5xx", expectNoUndocumentedServerError],
  ["returns errors as problem+json", expectProblemOnError],
  ["returns only documented problems", expectDocumentedProblem],
  ["quarantines each rejected webhook", expectQuarantined],
  ["acknowledges with status and eventId", expectAcknowledgement],
  ["logs no unhandled error", expectNoUnhandledErrorLogged],
  ["stores input while storage works", expectNoStorageFailure],
  ["stores a documented event type", expectDocumentedEventType],
];

const API_CHECKS: [string, (response: RecordedResponse) => void][] = [
  ["returns no undocumented 5xx", expectNoUndocumentedServerError],
  ["returns errors as problem+json", expectProblemOnError],
  ["returns only documented problems", expectDocumentedProblem],
  ["logs no unhandled error", expectNoUnhandledErrorLogged],
];

/**
 * Returns a caller address of its own for one property. The admin and HIS
 * rate limits (600 a minute) count requests per cf-connecting-ip, so each
 * property gets a bucket that the rest of the run does not share. The
 * addresses are from TEST-NET-1 (RFC 5737) and only ever sent as a header.
 */
let callerCount = 0;
function nextCallerAddress(): string {
  callerCount += 1;
  return `192.0.2.${callerCount}`;
}

async function assertProperty<T>(arbitrary: fc.Arbitrary<T>, numRuns: number, run: (value: T) => Promise<void>): Promise<void> {
  await fc.assert(fc.asyncProperty(arbitrary, run), { numRuns, interruptAfterTimeLimit: PROPERTY_TIME_LIMIT_MS, markInterruptAsFailure: false });
}

function describeWebhookProperties<T>(
  title: string,
  clinicId: string,
  arbitrary: fc.Arbitrary<T>,
  build: (recipe: T) => Promise<WebhookInput>,
  numRuns: number,
): void {
  describe(title, () => {
    it.each(WEBHOOK_CHECKS)(
      "%s",
      async (_name, check) => {
        await assertProperty(arbitrary, numRuns, async (recipe) => {
          await check(await postRaw(clinicId, await build(recipe)), clinicId);
        });
      },
      TEST_TIMEOUT_MS,
    );
  });
}

// ---------------------------------------------------------------------------
// Clinics the properties run against
// ---------------------------------------------------------------------------

const hisTokens: Record<string, string> = {};
const adminKnown = {
  clinicId: ADMIN_CLINIC,
  hisUrl: "",
  signingSecret: SIGNING_SECRET,
  tokenId: "",
  eventIds: [] as string[],
  deadLetterIds: [] as string[],
  quarantineIds: [] as string[],
};
const hisKnown = { clinicIds: [HIS_CLINIC, HIS_PUSH_CLINIC], visitIds: [] as string[], clientIds: [] as string[], eventIds: [] as string[] };

async function createToken(clinicId: string): Promise<{ id: string; token: string }> {
  const response = await adminRequest("POST", `/admin/v1/clinics/${clinicId}/his-tokens`, { name: "property tests" });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; token: string };
}

async function postFixtureIds(clinicId: string, files: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const file of files) {
    const response = await postWebhook(clinicId, await resign(FIXTURES[file]!));
    expect(response.status, file).toBe(202);
    ids.push(((await response.json()) as { eventId: string }).eventId);
  }
  return ids;
}

beforeAll(async () => {
  for (const clinicId of [BYTES_CLINIC, JSON_CLINIC, DAMAGED_CLINIC, MUTATED_CLINIC, CONCURRENT_CLINIC]) {
    await createClinic(clinicId);
  }
  await createClinic(FHIR_CLINIC, { format: "fhir" });

  // Admin clinic: two delivered events and one dead letter, which the HIS rejects with 400.
  await createClinic(ADMIN_CLINIC);
  adminKnown.hisUrl = hisInboxUrl(ADMIN_CLINIC);
  adminKnown.tokenId = (await createToken(ADMIN_CLINIC)).id;
  await setHisRules(ADMIN_CLINIC, [{ match: "chup.visit.serving", status: 400 }]);
  const adminEvents = await postFixtureIds(ADMIN_CLINIC, ["01-join-live-queue.json", "03-alert.json", "04-serving.json"]);
  const states = await settleDeliveries(ADMIN_CLINIC);
  adminKnown.eventIds = adminEvents.filter((id) => states[id] === "delivered");
  adminKnown.deadLetterIds = adminEvents.filter((id) => states[id] === "dead");
  expect(adminKnown.deadLetterIds).toHaveLength(1);
  const rejected = [
    await postWebhook(ADMIN_CLINIC, await resign(FIXTURES["02-appointment.json"]!, "not-the-clinic-secret")),
    await postWebhook(ADMIN_CLINIC, FIXTURES["06-no-show.json"]!),
    await postWebhook(ADMIN_CLINIC, `{"payload": "${"x".repeat(1024 * 1024)}"}`),
  ];
  for (const response of rejected) {
    adminKnown.quarantineIds.push(((await response.json()) as { quarantineId: string }).quarantineId);
  }

  // HIS clinics: one that also offers the pull API, one push only, both holding the published examples.
  const bothSettings = {
    name: "Property HIS clinic",
    webhookSecrets: [CHUP_SECRET],
    delivery: { mode: "both", url: hisInboxUrl(HIS_CLINIC), signingSecret: SIGNING_SECRET },
  };
  expect((await adminRequest("PUT", `/admin/v1/clinics/${HIS_CLINIC}`, bothSettings)).status).toBe(201);
  await createClinic(HIS_PUSH_CLINIC);
  const validFixtures = Object.keys(FIXTURES)
    .filter((file) => !INVALID_FIXTURES.includes(file))
    .sort();
  for (const clinicId of hisKnown.clinicIds) {
    hisTokens[clinicId] = (await createToken(clinicId)).token;
    hisKnown.eventIds.push(...(await postFixtureIds(clinicId, validFixtures)));
  }
  for (const file of validFixtures) {
    const data = (JSON.parse(FIXTURES[file]!) as { payload: { event: string; data: { id: number; registered_client_id: number } } }).payload;
    if (data.event.startsWith("live_queue")) {
      hisKnown.visitIds.push(String(data.data.id));
    }
    hisKnown.clientIds.push(String(data.data.registered_client_id));
  }
  hisKnown.visitIds = [...new Set(hisKnown.visitIds)];
  hisKnown.clientIds = [...new Set(hisKnown.clientIds)];
}, 60_000);

// ---------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------

describeWebhookProperties("webhook of arbitrary bytes", BYTES_CLINIC, arbitraryBytes, async (input) => input, 20);
describeWebhookProperties("webhook of arbitrary JSON", JSON_CLINIC, arbitraryJson, async (input) => input, 20);
describeWebhookProperties("webhook of a damaged example", DAMAGED_CLINIC, damagedFixture, buildDamagedFixture, 20);
describeWebhookProperties("webhook of a mutated example", MUTATED_CLINIC, mutatedFixture, buildMutatedFixture, 50);
describeWebhookProperties("mutated example to a FHIR clinic", FHIR_CLINIC, mutatedFixture, buildMutatedFixture, 35);

describe("concurrent repeats of a webhook", () => {
  const copies = 4;

  it(
    "accept at most one copy",
    async () => {
      await assertProperty(mutatedFixture, 15, async (recipe) => {
        const input = await buildMutatedFixture(recipe);
        const responses = await Promise.all(Array.from({ length: copies }, () => postRaw(CONCURRENT_CLINIC, input)));
        const accepted = responses.filter((response) => response.status === 202);
        expect(accepted.length, responses.map(shown).join("\n")).toBeLessThanOrEqual(1);
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "share one event id",
    async () => {
      await assertProperty(mutatedFixture, 15, async (recipe) => {
        const input = await buildMutatedFixture(recipe);
        const responses = await Promise.all(Array.from({ length: copies }, () => postRaw(CONCURRENT_CLINIC, input)));
        const eventIds = new Set(responses.filter((response) => response.status === 200 || response.status === 202).map((response) => parsedBody(response).eventId));
        expect(eventIds.size, responses.map(shown).join("\n")).toBeLessThanOrEqual(1);
      });
    },
    TEST_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------
// Clinics with any settings the admin API accepts
// ---------------------------------------------------------------------------

/** Time zones that Intl accepts, some of them unusual: offsets, lowercase, POSIX-style, half- and quarter-hour offsets, +14. */
const TIME_ZONES = ["Asia/Kuala_Lumpur", "UTC", "+08:00", "-14:00", "Etc/GMT-14", "asia/kuala_lumpur", "EST5EDT", "America/St_Johns", "Pacific/Kiritimati", "Asia/Kathmandu", "Antarctica/Troll"];

const validSettings = fc.record({
  timezone: fc.option(fc.constantFrom(...TIME_ZONES), { nil: undefined }),
  country: fc.option(fc.oneof(fc.constantFrom("MY", "PK", "ID", "SG", "XX", "ZZ", "AA", "UK", "EU"), fc.stringMatching(/^[A-Z]{2}$/)), { nil: undefined }),
  format: fc.constantFrom("cloudevents", "fhir"),
  mode: fc.constantFrom("push", "pull", "both"),
  concurrency: fc.integer({ min: 1, max: 32 }),
  ratePerSecond: fc.integer({ min: 1, max: 500 }),
  secretsBefore: fc.array(fc.string({ minLength: 8, maxLength: 20 }), { maxLength: 1 }),
});

let settingsClinicCount = 0;

/** Creates a clinic with the generated settings and returns its id, or null when the admin API rejects them. */
async function createClinicWith(settings: typeof validSettings extends fc.Arbitrary<infer S> ? S : never): Promise<string | null> {
  settingsClinicCount += 1;
  const clinicId = `prop-settings-${settingsClinicCount}`;
  const response = await adminRequest("PUT", `/admin/v1/clinics/${clinicId}`, {
    name: `Settings clinic ${settingsClinicCount}`,
    ...(settings.timezone === undefined ? {} : { timezone: settings.timezone }),
    ...(settings.country === undefined ? {} : { country: settings.country }),
    webhookSecrets: [...settings.secretsBefore, CHUP_SECRET],
    delivery: {
      mode: settings.mode,
      format: settings.format,
      ...(settings.mode === "pull" ? {} : { url: hisInboxUrl(clinicId) }),
      signingSecret: SIGNING_SECRET,
      concurrency: settings.concurrency,
      ratePerSecond: settings.ratePerSecond,
    },
  });
  return response.status === 201 ? clinicId : null;
}

const SETTINGS_FIXTURES = ["01-join-live-queue.json", "02-appointment.json", "04-serving.json", "07-no-show-canceled-by-system.json", "11-reschedule.json", "00-webhook-overview.json"];

describe("clinic with arbitrary valid settings", () => {
  it(
    "accepts the published examples",
    async () => {
      await assertProperty(validSettings, 15, async (settings) => {
        const clinicId = await createClinicWith(settings);
        fc.pre(clinicId !== null);
        for (const file of SETTINGS_FIXTURES) {
          const response = await postRaw(clinicId!, { body: new TextEncoder().encode(await resign(FIXTURES[file]!)), contentType: "application/json" });
          expect(response.status, `${file}: ${shown(response)}`).toBe(202);
        }
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "serves the read API",
    async () => {
      const callerAddress = nextCallerAddress();
      await assertProperty(validSettings, 15, async (settings) => {
        const clinicId = await createClinicWith(settings);
        fc.pre(clinicId !== null);
        for (const file of SETTINGS_FIXTURES) {
          await postWebhook(clinicId!, await resign(FIXTURES[file]!));
        }
        const token = (await createToken(clinicId!)).token;
        const paths = ["queue", "queue?date=2024-01-18", "appointments?date=2024-01-18", "wait-times", "wait-times?date=2024-01-18", "visits/19738", "patients/3364/journey?date=2024-01-18"];
        for (const path of paths) {
          const response = await send("GET", `/his/v1/${clinicId}/${path}`, { authorization: `Bearer ${token}`, "cf-connecting-ip": callerAddress }, null);
          expect(response.status, shown(response)).toBe(200);
        }
      });
    },
    TEST_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------
// Admin and HIS APIs
// ---------------------------------------------------------------------------

/**
 * Returns false for a generated request that would point a clinic's
 * deliveries at a host other than the mock HIS on loopback, because the
 * tests send nothing anywhere else.
 */
function targetsOnlyLoopback(request: ApiRequest): boolean {
  if (typeof request.body !== "string") {
    return true;
  }
  let url: unknown;
  try {
    url = (JSON.parse(request.body) as { delivery?: { url?: unknown } } | null)?.delivery?.url;
  } catch {
    return true;
  }
  if (typeof url !== "string" || !URL.canParse(url)) {
    return true;
  }
  return new URL(url).origin === new URL(env.MOCK_HIS_ORIGIN).origin;
}

function sendApiRequest(request: ApiRequest, authorization: string, callerAddress: string): Promise<RecordedResponse> {
  const headers: Record<string, string> = { authorization, "cf-connecting-ip": callerAddress };
  if (request.contentType !== null) {
    headers["content-type"] = request.contentType;
  }
  return send(request.method, request.target, headers, request.body);
}

/** Returns the HIS token of the clinic in the path, or of the pull clinic when the path names another. */
function hisTokenFor(target: string): string {
  const clinicSegment = target.split("/")[3] ?? "";
  return hisTokens[clinicSegment] ?? hisTokens[HIS_CLINIC]!;
}

describe("admin API with arbitrary requests", () => {
  it.each(API_CHECKS)(
    "%s",
    async (_name, check) => {
      const callerAddress = nextCallerAddress();
      await assertProperty(adminApiRequest(adminKnown), 90, async (request) => {
        fc.pre(targetsOnlyLoopback(request));
        await check(await sendApiRequest(request, `Bearer ${ADMIN_TOKEN}`, callerAddress));
      });
    },
    TEST_TIMEOUT_MS,
  );
});

describe("HIS API with arbitrary requests", () => {
  it.each(API_CHECKS)(
    "%s",
    async (_name, check) => {
      const callerAddress = nextCallerAddress();
      await assertProperty(hisApiRequest(hisKnown), 90, async (request) => {
        await check(await sendApiRequest(request, `Bearer ${hisTokenFor(request.target)}`, callerAddress));
      });
    },
    TEST_TIMEOUT_MS,
  );
});

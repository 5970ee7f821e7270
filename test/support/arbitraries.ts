import fc from "fast-check";
import { MAX_BODY_BYTES } from "../../src/ingest/body";
import { CHUP_SECRET, FIXTURES, INVALID_FIXTURES, resign } from "./chup";

/*
 * fast-check generators for requests at the gateway. Webhook inputs are
 * generated as small recipes and built into bodies by `buildMutatedFixture`
 * and `buildDamagedFixture`, so a shrunk counterexample prints as a
 * readable recipe, not as a megabyte of text, and signing (which is async)
 * happens inside the property.
 */

// ---------------------------------------------------------------------------
// Webhook bodies
// ---------------------------------------------------------------------------

/** A JSON value to put into a payload: any value, number text kept as written, a long string or deep nesting. */
export type ValueSpec = { json: unknown } | { raw: string } | { repeat: string; times: number } | { nest: number };

export type PayloadMutation =
  | { kind: "drop"; path: (string | number)[] }
  | { kind: "set"; path: (string | number)[]; value: ValueSpec }
  | { kind: "add"; parent: (string | number)[]; key: string; value: ValueSpec };

/** How the body's `signature` is made. "valid" is an HMAC-SHA256 of the payload with the clinic's secret. */
export type SignatureSpec = "valid" | "valid-uppercase" | "valid-padded" | "published" | "wrong-secret" | { hex: string } | { json: unknown };

/** Damage done to the finished body text, after signing. */
export type TextDamage =
  | { kind: "none" }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "byte-order-mark" }
  | { kind: "pad-past-limit"; extraBytes: number };

/** A published example, changed field by field, then signed and maybe damaged. */
export interface MutatedFixture {
  fixture: string;
  mutations: PayloadMutation[];
  layout: "compact" | "pretty";
  signature: SignatureSpec;
  damage: TextDamage;
  contentType: string | null;
}

/** A published example as text, maybe re-signed, then damaged. */
export interface DamagedFixture {
  fixture: string;
  resigned: boolean;
  damage: TextDamage;
  contentType: string | null;
}

export interface WebhookInput {
  body: Uint8Array;
  contentType: string | null;
}


const VALID_FIXTURE_NAMES = Object.keys(FIXTURES)
  .filter((name) => !INVALID_FIXTURES.includes(name))
  .sort();

/** Values that Chup's own examples disagree on, or that a careless sender could write. */
const ODD_VALUES: unknown[] = [
  "",
  " ",
  "0",
  "-1",
  "19738",
  " 19738 ",
  "19738.0",
  "2024-01-18",
  "2024-02-30",
  "0000-00-00",
  "20:50",
  "25:61:99",
  "not a date",
  "2024-01-18T20:48:00+08:00",
  "2024-01-18T20:48:00",
  "1970-01-01T00:00:00Z",
  "9999-12-31T23:59:59+14:00",
  "+60123456789",
  "0123456789",
  "App\\Models\\Visit",
  "+08:00",
  "asia/kuala_lumpur",
  "Etc/GMT-14",
  "EST5EDT",
  "</script>",
  "\u0000",
  "→",
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e300,
  -1e300,
  2 ** 31,
  Number.MAX_SAFE_INTEGER,
  {},
  [],
  [null],
  [[]],
  { name: "Serving", value: 4 },
  { name: "ARRIVED", value: "3" },
  { value: null },
  { items: [], escapeWhenCastingToString: false },
  { items: [{ id: "x", content: 5 }] },
  [{ id: 1, created_at: "garbage", model_type: null }],
  JSON.parse('{"__proto__": {"polluted": true}}'),
  { constructor: { prototype: { polluted: true } } },
  { toString: "not a function", valueOf: 1 },
];

/** Number and string texts that JSON.stringify cannot write, kept as written. */
const RAW_TEXTS = [
  "12345678901234567890",
  "123456789012345678901234567890",
  "-9007199254740993",
  "-0",
  "1e400",
  "-1e400",
  "1.0",
  "1E2",
  "0.10",
  '"\\ud800"',
  '"\\udfff\\ud800"',
  '"\\u0000"',
  '"\\/"',
];

/** Chup event names: the documented ones, and names whose action part is a member every JavaScript object inherits. */
const EVENT_PREFIXES = ["live_queue_", "appointment_", "client_", "service_", "staff_"];
const EVENT_ACTIONS = ["created", "updated", "deleted", "staffs_updated", "services_updated", "", "toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"];

export const eventName: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...EVENT_PREFIXES), fc.constantFrom(...EVENT_ACTIONS)).map(([prefix, action]) => prefix + action) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...EVENT_PREFIXES, ""), fc.string({ maxLength: 12 })).map(([prefix, action]) => prefix + action) },
);

export const valueSpec: fc.Arbitrary<ValueSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((json) => ({ json })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1, stringUnit: "binary" }).map((json) => ({ json })) },
  { weight: 3, arbitrary: fc.constantFrom(...ODD_VALUES).map((json) => ({ json })) },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_TEXTS).map((raw) => ({ raw })) },
  {
    weight: 1,
    arbitrary: fc.record({ repeat: fc.constantFrom("x", "é", "😀", "\\", '"', "\n"), times: fc.integer({ min: 1_000, max: 400_000 }) }),
  },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 5_000 }).map((nest) => ({ nest })) },
);

export const signatureSpec: fc.Arbitrary<SignatureSpec> = fc.oneof(
  { weight: 8, arbitrary: fc.constant("valid" as const) },
  { weight: 2, arbitrary: fc.constantFrom("valid-uppercase" as const, "valid-padded" as const, "published" as const, "wrong-secret" as const) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), maxLength: 70 }).map((hex) => ({ hex })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }).map((json) => ({ json })) },
);

export const textDamage: fc.Arbitrary<TextDamage> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: "none" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      at: fc.nat(),
      text: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(",", "}", '"', "\\", "\u0000", "`", "json", "\ufeff", "]]")),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "byte-order-mark" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pad-past-limit" as const), extraBytes: fc.integer({ min: 1, max: 70_000 }) }) },
);

/** Content types a sender might set, or null to send none. Header values stay printable ASCII, as fetch requires. */
export const contentType: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 10, arbitrary: fc.constant("application/json") },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      null,
      "",
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "application/json;;;",
      "application/json; charset=utf-16",
      "text/plain",
      "text/json",
      "text/html",
      "application/cloudevents+json",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      "application/octet-stream",
      "*/*",
      ";",
      "+json",
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[\x20-\x7e]{0,40}$/) },
);

type JsonPath = (string | number)[];

/** Lists the path of every value inside `value`, parents before children. */
function listPaths(value: unknown, prefix: JsonPath = []): JsonPath[] {
  const paths: JsonPath[] = [];
  const children: [string | number, unknown][] = Array.isArray(value)
    ? value.map((child, index) => [index, child])
    : typeof value === "object" && value !== null
      ? Object.entries(value)
      : [];
  for (const [key, child] of children) {
    const path = [...prefix, key];
    paths.push(path, ...listPaths(child, path));
  }
  return paths;
}

/** Lists the paths of objects inside `value`, the root included as []. */
function listObjectPaths(value: unknown): JsonPath[] {
  const isPlainObject = (candidate: unknown) => typeof candidate === "object" && candidate !== null && !Array.isArray(candidate);
  return [[], ...listPaths(value).filter((path) => isPlainObject(valueAt(value, path)))];
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let current = root;
  for (const key of path) {
    current = (current as Record<string | number, unknown> | undefined)?.[key];
  }
  return current;
}

export const mutatedFixture: fc.Arbitrary<MutatedFixture> = fc.constantFrom(...VALID_FIXTURE_NAMES).chain((fixture) => {
  const envelope = JSON.parse(FIXTURES[fixture]!) as unknown;
  const paths = listPaths(envelope);
  const objectPaths = listObjectPaths(envelope);
  const mutation: fc.Arbitrary<PayloadMutation> = fc.oneof(
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), path: fc.constantFrom(...paths) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("set" as const), path: fc.constantFrom(...paths), value: valueSpec }) },
    { weight: 1, arbitrary: eventName.map((name) => ({ kind: "set" as const, path: ["payload", "event"], value: { json: name } })) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("add" as const),
        parent: fc.constantFrom(...objectPaths),
        key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("id", "state", "notes", "x_phone", "phone", "deleted_at", "time", "__proto__")),
        value: valueSpec,
      }),
    },
  );
  return fc.record({
    fixture: fc.constant(fixture),
    mutations: fc.array(mutation, { maxLength: 3 }),
    layout: fc.constantFrom("compact" as const, "pretty" as const),
    signature: signatureSpec,
    damage: textDamage,
    contentType,
  });
});

export const damagedFixture: fc.Arbitrary<DamagedFixture> = fc.record({
  fixture: fc.constantFrom(...Object.keys(FIXTURES).sort()),
  resigned: fc.boolean(),
  damage: textDamage,
  contentType,
});

/** Builds the body bytes and content type of a mutated published example. */
export async function buildMutatedFixture(recipe: MutatedFixture): Promise<WebhookInput> {
  const rawTexts: string[] = [];
  const placeholder = (spec: ValueSpec): unknown => {
    if ("json" in spec) {
      return structuredClone(spec.json);
    }
    rawTexts.push(rawTextOf(spec));
    return `@@raw-${rawTexts.length - 1}@@`;
  };

  const envelope = JSON.parse(FIXTURES[recipe.fixture]!) as Record<string, unknown>;
  const published = envelope.signature;
  for (const mutation of recipe.mutations) {
    applyMutation(envelope, mutation, placeholder);
  }
  const serialize = (value: unknown, indent?: number) =>
    JSON.stringify(value, null, indent).replace(/"@@raw-(\d+)@@"/g, (_match, index: string) => rawTexts[Number(index)]!);

  // The signature stays where the published body has it, unless a mutation dropped or replaced it.
  const signatureKept = "signature" in envelope && envelope.signature === published;
  let body: string;
  if (recipe.layout === "compact") {
    const payloadText = "payload" in envelope ? serialize(envelope.payload) : "";
    const signed = await hmacHex(recipe.signature === "wrong-secret" ? "not-the-clinic-secret" : CHUP_SECRET, payloadText);
    if (signatureKept) {
      envelope.signature = placeholder({ raw: signatureText(recipe.signature, signed, published) });
    }
    body = serialize(envelope);
  } else {
    // Pretty-printed, as by a client that re-indents. The test helper signs PHP's compact form of it.
    body = serialize(envelope, 2);
    if (signatureKept && recipe.signature !== "published") {
      const resigned = await resign(body, recipe.signature === "wrong-secret" ? "not-the-clinic-secret" : CHUP_SECRET);
      const signed = /"signature": "([0-9a-f]{64})"/.exec(resigned)?.[1] ?? "";
      envelope.signature = placeholder({ raw: signatureText(recipe.signature, signed, published) });
      body = serialize(envelope, 2);
    }
  }
  return { body: damage(new TextEncoder().encode(body), recipe.damage), contentType: recipe.contentType };
}

/** Builds the body bytes and content type of a published example sent as text. */
export async function buildDamagedFixture(recipe: DamagedFixture): Promise<WebhookInput> {
  const text = recipe.resigned ? await resign(FIXTURES[recipe.fixture]!) : FIXTURES[recipe.fixture]!;
  return { body: damage(new TextEncoder().encode(text), recipe.damage), contentType: recipe.contentType };
}

/** Returns the JSON text of a value that JSON.stringify cannot write as intended. */
function rawTextOf(spec: Exclude<ValueSpec, { json: unknown }>): string {
  if ("raw" in spec) {
    return spec.raw;
  }
  if ("repeat" in spec) {
    return JSON.stringify(spec.repeat.repeat(spec.times));
  }
  return "[".repeat(spec.nest) + "]".repeat(spec.nest);
}

function signatureText(spec: SignatureSpec, signed: string, published: unknown): string {
  if (spec === "valid" || spec === "wrong-secret") {
    return JSON.stringify(signed);
  }
  if (spec === "valid-uppercase") {
    return JSON.stringify(signed.toUpperCase());
  }
  if (spec === "valid-padded") {
    return JSON.stringify(` ${signed}\n`);
  }
  if (spec === "published") {
    return JSON.stringify(published);
  }
  return "hex" in spec ? JSON.stringify(spec.hex) : JSON.stringify(spec.json);
}

function applyMutation(envelope: Record<string, unknown>, mutation: PayloadMutation, placeholder: (spec: ValueSpec) => unknown): void {
  const path = mutation.kind === "add" ? [...mutation.parent, mutation.key] : mutation.path;
  const parent = valueAt(envelope, path.slice(0, -1));
  if (typeof parent !== "object" || parent === null) {
    return; // An earlier mutation replaced or dropped the parent.
  }
  const key = path[path.length - 1]!;
  if (mutation.kind === "drop") {
    if (Array.isArray(parent) && typeof key === "number") {
      parent.splice(key, 1);
    } else {
      delete (parent as Record<string | number, unknown>)[key];
    }
    return;
  }
  // defineProperty, so that a key such as "__proto__" becomes an own property as JSON.parse makes it.
  Object.defineProperty(parent, key, { value: placeholder(mutation.value), enumerable: true, writable: true, configurable: true });
}

/** Applies text damage to a finished body. Offsets wrap around the body's length. */
export function damage(bytes: Uint8Array, spec: TextDamage): Uint8Array {
  switch (spec.kind) {
    case "none":
      return bytes;
    case "truncate":
      return bytes.slice(0, bytes.length === 0 ? 0 : spec.at % bytes.length);
    case "insert": {
      const at = bytes.length === 0 ? 0 : spec.at % (bytes.length + 1);
      return concatBytes(bytes.slice(0, at), new TextEncoder().encode(spec.text), bytes.slice(at));
    }
    case "byte-order-mark":
      return concatBytes(new Uint8Array([0xef, 0xbb, 0xbf]), bytes);
    case "pad-past-limit": {
      // Trailing white space keeps the JSON valid, so only the size is wrong.
      const padding = new Uint8Array(Math.max(0, MAX_BODY_BYTES - bytes.length) + spec.extraBytes).fill(0x20);
      return concatBytes(bytes, padding);
    }
  }
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Returns the hex HMAC-SHA256 of `text`, as Chup signs a payload. */
export async function hmacHex(secret: string, text: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
  return [...mac].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Any bytes, some of them a published example with bytes spliced in. */
export const arbitraryBytes: fc.Arbitrary<WebhookInput> = fc.record({
  body: fc.oneof(
    fc.uint8Array({ maxLength: 4096 }),
    fc
      .record({ fixture: fc.constantFrom(...Object.keys(FIXTURES).sort()), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) })
      .map(({ fixture, at, bytes }) => {
        const text = new TextEncoder().encode(FIXTURES[fixture]!);
        const offset = at % (text.length + 1);
        return concatBytes(text.slice(0, offset), bytes, text.slice(offset));
      }),
  ),
  contentType,
});

/** Any JSON text, some of it shaped like a Chup envelope with fields of any type. */
export const arbitraryJson: fc.Arbitrary<WebhookInput> = fc.record({
  body: fc
    .oneof(
      fc.json({ maxDepth: 3 }),
      fc.jsonValue({ maxDepth: 3, stringUnit: "binary" }).map((value) => JSON.stringify(value)),
      fc.record({ payload: fc.jsonValue({ maxDepth: 2 }), signature: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
      fc
        .record(
          {
            payload: fc.record({ event: fc.jsonValue({ maxDepth: 1 }), timestamp: fc.jsonValue({ maxDepth: 1 }), data: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
            signature: fc.oneof(fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 }), fc.jsonValue({ maxDepth: 1 })),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
    )
    .map((text) => new TextEncoder().encode(text)),
  contentType,
});

// ---------------------------------------------------------------------------
// Admin and HIS API requests
// ---------------------------------------------------------------------------

export interface ApiRequest {
  method: string;
  /** Path and query string, appended to the gateway's origin as they are. */
  target: string;
  contentType: string | null;
  body: string | Uint8Array | null;
}

/** Methods fetch() lets a client send; CONNECT, TRACE and TRACK are forbidden there. */
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "get", "post"];

/** Path segments with characters a URL parser or router may trip on. */
const ODD_SEGMENTS = ["", "%", "%zz", "%00", "%2F", "%2f..%2f", "..", ".", "%2e%2e", ";", "\\", " ", "%E0%A4%A", "%ff", "%C0%AF", "a;b=c", "~", "*", ":clinicId", "evt_", "😀"];

/** Path segments: mostly the known ones, so that requests reach the routes, else odd ones. */
function segment(known: string[], knownWeight = 6): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: knownWeight, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 16 }).map((text) => encodeURIComponent(text)) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 16 }) },
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,70}$/) },
  );
}

/** Query strings: known keys with good, bad and odd values, raw or percent-encoded. */
function queryString(keys: string[], values: string[], safeValue: (key: string, value: string) => string): fc.Arbitrary<string> {
  const pair = fc
    .record({
      key: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }),
      value: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...values) },
        { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
        { weight: 1, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
      ),
      encoded: fc.boolean(),
    })
    .map(({ key, value, encoded }) => {
      const kept = safeValue(key, value);
      return encoded ? `${encodeURIComponent(key)}=${encodeURIComponent(kept)}` : `${key}=${kept}`;
    });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant("") },
    { weight: 3, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((pairs) => `?${pairs.join("&")}`) },
    { weight: 1, arbitrary: fc.constantFrom("?", "?&", "?=", "?date", "?date=&date=", "?%zz=%zz", "?limit=1&limit=2") },
  );
}

/** Request bodies: none, JSON shaped like the route's, any JSON, text that is not JSON, or bytes. */
function requestBody(shaped: fc.Arbitrary<unknown>): fc.Arbitrary<{ contentType: string | null; body: string | Uint8Array | null }> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ contentType: null, body: null }) },
    { weight: 5, arbitrary: fc.record({ contentType: fc.constant("application/json"), body: shaped.map((value) => JSON.stringify(value) ?? "null") }) },
    { weight: 2, arbitrary: fc.record({ contentType, body: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)) }) },
    { weight: 1, arbitrary: fc.record({ contentType, body: fc.string({ unit: "binary", maxLength: 64 }) }) },
    { weight: 1, arbitrary: fc.record({ contentType, body: fc.uint8Array({ maxLength: 64 }) }) },
  );
}

/** Changes a valid object up to three times: drops a key, sets a key at any depth to another value, or adds a top-level key. */
function nearValid(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const paths = listPaths(base);
  const change = fc.oneof(
    fc.record({ drop: fc.constantFrom(...paths) }),
    fc.record({ set: fc.constantFrom(...paths), value: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom(...ODD_VALUES)) }),
    fc.record({ add: fc.string({ maxLength: 10 }), value: fc.jsonValue({ maxDepth: 1 }) }),
  );
  return fc.array(change, { maxLength: 3 }).map((changes) => {
    const copy = structuredClone(base);
    for (const step of changes) {
      let path: JsonPath;
      if ("drop" in step) {
        path = step.drop;
      } else if ("set" in step) {
        path = step.set;
      } else {
        path = [step.add];
      }
      const parent = valueAt(copy, path.slice(0, -1));
      if (typeof parent !== "object" || parent === null) {
        continue;
      }
      const key = path[path.length - 1]!;
      if ("drop" in step) {
        delete (parent as Record<string | number, unknown>)[key];
      } else {
        Object.defineProperty(parent, key, { value: structuredClone(step.value), enumerable: true, writable: true, configurable: true });
      }
    }
    return copy;
  });
}

/** A path template: literal segments, and placeholders for the generated ones. */
type Template = { method: string; segments: string[]; shapedBody?: fc.Arbitrary<unknown> };

function apiRequest(prefix: string, templates: Template[], placeholders: Record<string, fc.Arbitrary<string>>, query: fc.Arbitrary<string>): fc.Arbitrary<ApiRequest> {
  return fc
    .constantFrom(...templates)
    .chain((template) =>
      fc.record({
        method: fc.oneof({ weight: 4, arbitrary: fc.constant(template.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
        segments: fc.tuple(...template.segments.map((part) => placeholders[part] ?? fc.constant(part))),
        extra: fc.oneof({ weight: 6, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: fc.array(segment(["x", "queue"]), { minLength: 1, maxLength: 2 }) }),
        trailingSlash: fc.oneof({ weight: 6, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.constantFrom("/", "//") }),
        query,
        payload: requestBody(template.shapedBody ?? fc.jsonValue({ maxDepth: 2 })),
      }),
    )
    .map(({ method, segments, extra, trailingSlash, query: search, payload }) => ({
      method,
      target: `${prefix}/${[...segments, ...extra].join("/")}${trailingSlash}${search}`,
      contentType: payload.contentType,
      body: payload.body,
    }));
}

export interface AdminFixtures {
  clinicId: string;
  hisUrl: string;
  signingSecret: string;
  tokenId: string;
  eventIds: string[];
  deadLetterIds: string[];
  quarantineIds: string[];
}

/** Generates requests at /admin/v1 that follow the admin API's route shapes, with every part varied. */
export function adminApiRequest(known: AdminFixtures): fc.Arbitrary<ApiRequest> {
  const eventId = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.eventIds, ...known.deadLetterIds) },
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 32, maxLength: 32 }).map((hex) => `evt_${hex}`) },
    { weight: 2, arbitrary: segment(["evt_", "evt_0", "EVT_00000000000000000000000000000000"]) },
  );
  const settings = {
    name: "Property clinic",
    timezone: "Asia/Kuala_Lumpur",
    country: "MY",
    webhookSecrets: ["property-secret-1"],
    delivery: {
      mode: "push",
      format: "cloudevents",
      url: known.hisUrl,
      signingSecret: known.signingSecret,
      concurrency: 2,
      retry: { maxAttempts: 5, maxAgeHours: 1 },
      pull: { visibilityTimeoutSeconds: 30, retentionDays: 1 },
    },
  };
  const quarantineId = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known.quarantineIds) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 32, maxLength: 32 }).map((hex) => `qtn_${hex}`) },
    { weight: 1, arbitrary: segment(["qtn_", "QTN_00000000000000000000000000000000"]) },
  );
  const templates: Template[] = [
    { method: "GET", segments: ["clinics"] },
    { method: "PUT", segments: ["clinics", "{clinic}"], shapedBody: nearValid(settings) },
    { method: "GET", segments: ["clinics", "{clinic}"] },
    { method: "POST", segments: ["clinics", "{clinic}", "disable"] },
    { method: "POST", segments: ["clinics", "{clinic}", "enable"] },
    { method: "POST", segments: ["clinics", "{clinic}", "webhook-secrets"], shapedBody: nearValid({ secret: "property-secret-2" }) },
    { method: "POST", segments: ["clinics", "{clinic}", "webhook-secrets", "retire-oldest"] },
    { method: "POST", segments: ["clinics", "{clinic}", "signing-secrets"], shapedBody: nearValid({ secret: known.signingSecret }) },
    { method: "POST", segments: ["clinics", "{clinic}", "signing-secrets", "promote"] },
    { method: "GET", segments: ["clinics", "{clinic}", "events"] },
    { method: "GET", segments: ["clinics", "{clinic}", "quarantine"] },
    { method: "GET", segments: ["clinics", "{clinic}", "quarantine", "{quarantine}"] },
    { method: "POST", segments: ["clinics", "{clinic}", "quarantine", "{quarantine}", "reingest"] },
    { method: "POST", segments: ["maintenance", "reencrypt-secrets"] },
    { method: "POST", segments: ["clinics", "{clinic}", "his-tokens"], shapedBody: nearValid({ name: "HIS production" }) },
    { method: "GET", segments: ["clinics", "{clinic}", "his-tokens"] },
    { method: "DELETE", segments: ["clinics", "{clinic}", "his-tokens", "{token}"] },
    { method: "GET", segments: ["clinics", "{clinic}", "queue"] },
    { method: "GET", segments: ["clinics", "{clinic}", "dead-letters"] },
    {
      method: "POST",
      segments: ["clinics", "{clinic}", "dead-letters", "replay"],
      shapedBody: fc.oneof(
        nearValid({ all: true }),
        nearValid({ type: "chup.visit.serving" }),
        fc.array(eventId, { maxLength: 3 }).chain((eventIds) => nearValid({ eventIds })),
      ),
    },
    { method: "POST", segments: ["clinics", "{clinic}", "dead-letters", "{event}", "discard"], shapedBody: nearValid({ reason: "HIS cannot take it" }) },
    { method: "POST", segments: ["clinics", "{clinic}", "delivery", "pause"] },
    { method: "POST", segments: ["clinics", "{clinic}", "delivery", "resume"] },
    { method: "GET", segments: ["clinics", "{clinic}", "events", "{event}"] },
  ];
  return apiRequest(
    "/admin/v1",
    templates,
    {
      "{clinic}": fc.oneof(
        { weight: 4, arbitrary: fc.constant(known.clinicId) },
        { weight: 1, arbitrary: segment(["no-such-clinic", "x".repeat(64), "x".repeat(65), "Upper-Case"]) },
      ),
      "{token}": segment([known.tokenId, "htk_00000000000000000000000000000000", "x".repeat(101)]),
      "{event}": eventId,
      "{quarantine}": quarantineId,
    },
    queryString(
      ["type", "limit", "state"],
      ["1", "500", "501", "0", "-1", "abc", "1.5", "chup.visit.serving", "x".repeat(101), "queued", "retrying", "delivered", "dead", "Dead"],
      (_key, value) => value,
    ),
  );
}

export interface HisFixtures {
  clinicIds: string[];
  visitIds: string[];
  clientIds: string[];
  eventIds: string[];
}

/** Generates requests at /his/v1 that follow the read and pull API's route shapes, with every part varied. */
export function hisApiRequest(known: HisFixtures): fc.Arbitrary<ApiRequest> {
  const idSegment = (ids: string[]) => segment([...ids, "0", "9".repeat(30), "9".repeat(31), "-1", "1e3", "0x10", "19738.0"]);
  const cursor = fc.oneof(fc.constantFrom("0", "1", "5", "999999999999999", "9999999999999999"), fc.jsonValue({ maxDepth: 0 }));
  const templates: Template[] = [
    { method: "GET", segments: ["{clinic}", "queue"] },
    { method: "GET", segments: ["{clinic}", "visits", "{visit}"] },
    { method: "GET", segments: ["{clinic}", "appointments"] },
    { method: "GET", segments: ["{clinic}", "patients", "{client}", "journey"] },
    { method: "GET", segments: ["{clinic}", "wait-times"] },
    { method: "GET", segments: ["{clinic}", "events"] },
    {
      method: "POST",
      segments: ["{clinic}", "ack"],
      shapedBody: fc.oneof(
        cursor.chain((value) => nearValid({ cursor: value })),
        fc.array(fc.constantFrom(...known.eventIds, "evt_0", "evt_00000000000000000000000000000000"), { maxLength: 3 }).chain((eventIds) => nearValid({ eventIds })),
      ),
    },
  ];
  return apiRequest(
    "/his/v1",
    templates,
    {
      "{clinic}": fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known.clinicIds) }, { weight: 1, arbitrary: segment(["no-such-clinic"]) }),
      "{visit}": idSegment(known.visitIds),
      "{client}": idSegment(known.clientIds),
    },
    queryString(
      ["date", "after", "limit", "wait"],
      ["2024-01-18", "2024-01-19", "2024-02-30", "9999-99-99", "0", "1", "500", "501", "-1", "26", "abc", "1.5", "999999999999999", "9999999999999999"],
      keepWaitShort,
    ),
  );
}

/**
 * Replaces a `wait` that would start a long poll (1 to 25 seconds, read as
 * zod's coerce reads it) with 0, so a run never sleeps. Other invalid waits
 * pass through to be rejected.
 */
function keepWaitShort(key: string, value: string): string {
  if (key !== "wait" && safeDecode(key) !== "wait") {
    return value;
  }
  const seconds = Number(safeDecode(value));
  return Number.isInteger(seconds) && seconds >= 1 && seconds <= 25 ? "0" : value;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}

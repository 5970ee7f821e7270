import { runDurableObjectAlarm } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { visit } from "jsonc-parser";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  adminRequest,
  createClinic,
  deliveryQueue,
  FIXTURES,
  hisReceived,
  INVALID_FIXTURES,
  postWebhook,
  resign,
  scriptHis,
  setHisRules,
  settleDeliveries,
} from "./support/chup";
import { captureConsole, type ConsoleLine } from "./support/console-lines";

/*
 * Scenario: every published example is re-signed and posted to a
 * CloudEvents clinic and to a FHIR clinic. Fourteen are accepted and two
 * are quarantined as invalid JSON, and one more is quarantined for a wrong
 * signature. The mock HIS responds to the first delivery with 500 and
 * rejects one event type with 400, so the flow covers a retry, a dead
 * letter, its replay and its discard. The HIS then reads the queue, a visit
 * and a patient's journey. Every console line written meanwhile, by the
 * Worker and by the delivery queue's Durable Object (both run in this
 * isolate), is captured and checked.
 */

const CLINIC_ID = "privacy-flow";
const FHIR_CLINIC_ID = "privacy-flow-fhir";
const DATE = "2024-01-18";
/** The mock HIS rejects this event type with 400, which makes it a dead letter. */
const REJECTED_TYPE = "chup.visit.cancelled_by_system";

/** Keys of the published examples whose values identify a patient. */
const NAME_KEYS = ["registered_client_name", "client_name"];
const PHONE_KEYS = ["registered_client_phone", "client_phone"];
const EMAIL_KEYS = ["client_email"];

interface PersonalData {
  names: Set<string>;
  phones: Set<string>;
  emails: Set<string>;
  notes: Set<string>;
}

/**
 * Collects the personal values of the published examples, reading the two
 * invalid ones with jsonc-parser's error-tolerant visitor. A note's text is
 * a `content` anywhere under `notes`.
 */
function collectPersonalData(): PersonalData {
  const found: PersonalData = { names: new Set(), phones: new Set(), emails: new Set(), notes: new Set() };
  for (const text of Object.values(FIXTURES)) {
    visit(text, {
      onLiteralValue: (value: unknown, _offset, _length, _line, _column, pathSupplier) => {
        if (typeof value !== "string" || value.trim() === "") {
          return;
        }
        const path = pathSupplier();
        const key = String(path[path.length - 1]);
        if (NAME_KEYS.includes(key)) {
          found.names.add(value);
        } else if (PHONE_KEYS.includes(key)) {
          found.phones.add(value);
        } else if (EMAIL_KEYS.includes(key)) {
          found.emails.add(value);
        } else if (key === "content" && path.includes("notes")) {
          found.notes.add(value);
        }
      },
    });
  }
  return found;
}

/** Returns a phone number as sent and the forms a log could print it in: E.164, international and national. */
function phoneForms(raw: string): string[] {
  const digits = raw.replace(/\D/g, "");
  const forms = new Set([raw, digits, `+${digits}`]);
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  if (parsed) {
    forms.add(parsed.number);
    forms.add(parsed.formatInternational());
    forms.add(parsed.formatNational());
  }
  return [...forms];
}

/** Returns the lines that contain any of the values, compared without case. */
function linesContaining(lines: ConsoleLine[], values: Iterable<string>): { value: string; line: string }[] {
  const hits: { value: string; line: string }[] = [];
  for (const value of values) {
    const needle = value.toLowerCase();
    for (const line of lines) {
      if (line.text.toLowerCase().includes(needle)) {
        hits.push({ value, line: line.text });
      }
    }
  }
  return hits;
}

const personal = collectPersonalData();
let lines: ConsoleLine[] = [];
const statuses: Record<string, number> = {};

async function hisGet(path: string, token: string): Promise<number> {
  const response = await exports.default.fetch(`https://gateway.test/his/v1/${CLINIC_ID}${path}`, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

async function rejectedDeliveries(): Promise<number> {
  return (await hisReceived(CLINIC_ID)).filter((delivery) => delivery.body.includes(REJECTED_TYPE)).length;
}

/** Returns the line's `message` when it is a JSON object with one. */
function messageOf(line: ConsoleLine): string | undefined {
  try {
    const parsed = JSON.parse(line.text) as { message?: unknown } | null;
    return typeof parsed?.message === "string" ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

async function postAllFixtures(clinicId: string): Promise<void> {
  for (const [file, body] of Object.entries(FIXTURES).sort()) {
    const response = await postWebhook(clinicId, await resign(body));
    statuses[`${clinicId}/${file}`] = response.status;
    await response.arrayBuffer();
  }
}

beforeAll(async () => {
  const capture = captureConsole();
  try {
    await createClinic(CLINIC_ID);
    await createClinic(FHIR_CLINIC_ID, { format: "fhir" });
    const tokenResponse = await adminRequest("POST", `/admin/v1/clinics/${CLINIC_ID}/his-tokens`, { name: "privacy test" });
    const token = ((await tokenResponse.json()) as { token: string }).token;

    await scriptHis(CLINIC_ID, [{ status: 500 }]);
    await setHisRules(CLINIC_ID, [{ match: REJECTED_TYPE, status: 400 }]);
    await postAllFixtures(CLINIC_ID);
    await postAllFixtures(FHIR_CLINIC_ID);

    const wrongSecret = await postWebhook(CLINIC_ID, await resign(FIXTURES["02-appointment.json"]!, "not-the-clinic-secret"));
    statuses.wrongSecret = wrongSecret.status;
    const repeat = await postWebhook(CLINIC_ID, await resign(FIXTURES["02-appointment.json"]!));
    statuses.repeat = repeat.status;
    const unknownClinic = await postWebhook("privacy-no-such-clinic", await resign(FIXTURES["02-appointment.json"]!));
    statuses.unknownClinic = unknownClinic.status;

    // The retry after the scripted 500 comes due within two seconds (RETRY_BASE_MS), inside settleDeliveries' wait.
    const states = await settleDeliveries(CLINIC_ID);
    await settleDeliveries(FHIR_CLINIC_ID);

    const dead = Object.entries(states).filter(([, state]) => state === "dead");
    statuses.deadLetters = dead.length;
    const [deadId] = dead[0] ?? [];
    if (deadId) {
      const rejectedBefore = await rejectedDeliveries();
      statuses.replay = (await adminRequest("POST", `/admin/v1/clinics/${CLINIC_ID}/dead-letters/replay`, { all: true })).status;
      // The replayed event is rejected again and becomes a dead letter again before it is discarded.
      await vi.waitFor(
        async () => {
          await runDurableObjectAlarm(deliveryQueue(CLINIC_ID));
          expect(await rejectedDeliveries()).toBe(rejectedBefore + 1);
          const listed = (await (await adminRequest("GET", `/admin/v1/clinics/${CLINIC_ID}/dead-letters`)).json()) as { deadLetters: unknown[] };
          expect(listed.deadLetters).toHaveLength(1);
        },
        { timeout: 15_000, interval: 50 },
      );
      statuses.discard = (await adminRequest("POST", `/admin/v1/clinics/${CLINIC_ID}/dead-letters/${deadId}/discard`, { reason: "rejected by the HIS in a test" })).status;
      statuses.eventDetail = (await adminRequest("GET", `/admin/v1/clinics/${CLINIC_ID}/events/${deadId}`)).status;
    }

    statuses.queue = await hisGet(`/queue?date=${DATE}`, token);
    statuses.visit = await hisGet("/visits/19738", token);
    statuses.journey = await hisGet(`/patients/3364/journey?date=${DATE}`, token);
  } finally {
    capture.stop();
    lines = capture.lines;
  }
}, 60_000);

describe("fixture flow", () => {
  it("runs every step", () => {
    const accepted = Object.keys(FIXTURES).filter((file) => !INVALID_FIXTURES.includes(file));
    for (const file of accepted) {
      expect(statuses[`${CLINIC_ID}/${file}`], file).toBe(202);
    }
    for (const file of INVALID_FIXTURES) {
      expect(statuses[`${CLINIC_ID}/${file}`], file).toBe(400);
    }
    expect(statuses).toMatchObject({ wrongSecret: 401, repeat: 200, unknownClinic: 404, deadLetters: 1, replay: 200, discard: 204, eventDetail: 200 });
    expect(statuses).toMatchObject({ queue: 200, visit: 200, journey: 200 });
  });

  it("collects the examples' personal data", () => {
    expect([...personal.names].sort()).toEqual(["Jhon Doe", "Saad"]);
    expect(personal.phones.size).toBeGreaterThanOrEqual(5);
    expect(personal.emails.size).toBe(2);
    expect(personal.notes.size).toBeGreaterThanOrEqual(3);
  });
});

describe("log lines of the fixture flow", () => {
  it("include the delivery queue's lines", () => {
    const messages = new Set(lines.map(messageOf));
    expect(messages).toContain("event delivered");
    expect(messages).toContain("delivery failed, will retry");
    expect(messages).toContain("event dead-lettered: the HIS rejected it");
    expect(messages).toContain("dead letters replayed");
  });

  it("include the ingest lines", () => {
    const messages = new Set(lines.map(messageOf));
    expect(messages).toContain("webhook accepted");
    expect(messages).toContain("webhook rejected");
    expect(messages).toContain("duplicate webhook");
    expect(messages).toContain("webhook for unknown clinic");
  });

  it("are each a JSON object with level and message", () => {
    const malformed = lines.filter((line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line.text);
      } catch {
        return true;
      }
      const record = parsed as { level?: unknown; message?: unknown } | null;
      return typeof record !== "object" || record === null || typeof record.level !== "string" || typeof record.message !== "string";
    });
    expect(malformed).toEqual([]);
  });

  it("contain no patient name", () => {
    expect(linesContaining(lines, personal.names)).toEqual([]);
  });

  it("contain no phone number", () => {
    expect(linesContaining(lines, [...personal.phones].flatMap(phoneForms))).toEqual([]);
  });

  it("contain no email address", () => {
    expect(linesContaining(lines, personal.emails)).toEqual([]);
  });

  it("contain no note text", () => {
    expect(linesContaining(lines, personal.notes)).toEqual([]);
  });
});

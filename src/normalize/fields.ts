import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";

/**
 * Fixes the type drift seen in published Chup payloads: the same field
 * arrives as a number or a string, an integer or an object, an array or a
 * PHP collection. Every function keeps fields it does not recognise.
 */

/** Live queue state codes and names as Chup's examples show them; code 6 has never been seen. */
export const LIVE_QUEUE_STATES: Readonly<Record<number, { slug: string; name: string }>> = {
  1: { slug: "queued", name: "In Queue" },
  2: { slug: "alerted", name: "Alerted" },
  3: { slug: "arrived", name: "Arrived" },
  4: { slug: "serving", name: "Serving" },
  5: { slug: "served", name: "Served" },
  7: { slug: "cancelled", name: "Cancelled" },
  8: { slug: "no_show", name: "No Show" },
};

/** Appointment state codes seen in Chup's examples. */
export const APPOINTMENT_STATES: Readonly<Record<number, string>> = {
  1: "Booked",
};

/** A state as the gateway relays it: always an object, whatever Chup sent. */
export interface NormalizedState {
  code: number | null;
  name: string | null;
}

const DECIMAL_INTEGER = /^-?\d+$/;

/**
 * Returns an id as a canonical decimal string: 254, "254" and "0254" all
 * become "254". An integer above 2^53 arrives as its decimal text from
 * parseLossless and keeps every digit. Null stays null; any other value is
 * returned unchanged so nothing is lost.
 */
export function normalizeId(value: unknown): unknown {
  if (typeof value === "number" && Number.isInteger(value)) {
    return String(value);
  }
  if (typeof value === "string" && DECIMAL_INTEGER.test(value.trim())) {
    return BigInt(value.trim()).toString();
  }
  return value;
}

/** True for `id` and for every key ending in `_id`. */
export function isIdKey(key: string): boolean {
  return key === "id" || key.endsWith("_id");
}

/** Applies normalizeId to every id field of an object, at any depth. */
export function normalizeIds(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(normalizeIds);
  }
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      out[key] = isIdKey(key) ? normalizeId(field) : normalizeIds(field);
    }
    return out;
  }
  return value;
}

/**
 * Reads a state sent as an integer (4), a numeric string ("4") or an object
 * ({"name": "ARRIVED", "value": 3}). The display name prefers the payload's
 * own `state_name`, then the known table, then the object's name.
 */
export function normalizeState(raw: unknown, stateName: unknown, names: Readonly<Record<number, string>>): NormalizedState {
  let code: number | null = null;
  let objectName: string | null = null;

  if (typeof raw === "number" && Number.isInteger(raw)) {
    code = raw;
  } else if (typeof raw === "string" && DECIMAL_INTEGER.test(raw.trim())) {
    code = Number(raw.trim());
  } else if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    const record = raw as Record<string, unknown>;
    const value = record.value ?? record.code;
    code = typeof value === "number" && Number.isInteger(value) ? value : typeof value === "string" && DECIMAL_INTEGER.test(value) ? Number(value) : null;
    objectName = typeof record.name === "string" ? record.name : null;
  }

  const knownName = code === null ? undefined : names[code];
  const name = typeof stateName === "string" && stateName.length > 0 ? stateName : (knownName ?? objectName);
  return { code, name };
}

/**
 * Returns notes as an array. Chup sends a plain array, a Laravel collection
 * ({"items": [...], "escapeWhenCastingToString": false}), or null.
 */
export function normalizeNotes(raw: unknown): unknown[] {
  if (Array.isArray(raw)) {
    return raw;
  }
  if (raw === null || raw === undefined) {
    return [];
  }
  if (typeof raw === "object") {
    const items = (raw as Record<string, unknown>).items;
    return Array.isArray(items) ? items : [raw];
  }
  return [raw];
}

const HOURS_MINUTES = /^\d{2}:\d{2}$/;

/** Writes a wall-clock time "20:50" as "20:50:00"; other values are returned unchanged. */
export function withSeconds(value: unknown): unknown {
  return typeof value === "string" && HOURS_MINUTES.test(value) ? `${value}:00` : value;
}

/** Converts an ISO 8601 timestamp to UTC (see parseTimestamp); returns null when it cannot be read. */
export function toUtcIso(value: unknown, timeZone = "UTC"): string | null {
  return isoOrNull(parseTimestamp(value, timeZone));
}

/**
 * Returns a phone number in E.164 ("+60123456789"), or null when it cannot
 * be read as a valid number. Chup sends digits without "+": they are read
 * first as an international number ("60…", "62…", "92…"), then as a
 * national number of the clinic's country ("012…").
 */
export function toE164(raw: unknown, defaultCountry: CountryCode): string | null {
  if (typeof raw !== "string" && typeof raw !== "number") {
    return null;
  }
  const text = String(raw).trim();
  const digits = text.replace(/[\s().-]/g, "");
  if (digits === "") {
    return null;
  }

  const international = parsePhoneNumberFromString(digits.startsWith("+") ? digits : `+${digits}`);
  if (international?.isValid() && isE164Length(international.number)) {
    return international.number;
  }
  const national = parsePhoneNumberFromString(digits, defaultCountry);
  return national?.isValid() && isE164Length(national.number) ? national.number : null;
}

/** E.164 allows at most 15 digits; libphonenumber-js 1.13 accepts some longer numbers. */
function isE164Length(number: string): boolean {
  return number.length - 1 <= 15;
}

/**
 * Converts a wall-clock date ("2024-01-18") and time ("20:50:00") in an IANA
 * time zone to a UTC instant in milliseconds, or null when either cannot
 * be read. For a time skipped by a daylight-saving change the result is
 * the instant one offset earlier; Malaysia has no such changes.
 */
export function zonedDateTimeToUtc(date: unknown, time: unknown, timeZone: string): number | null {
  const dateMatch = typeof date === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(date) : null;
  const timeMatch = typeof time === "string" ? /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time) : null;
  if (!dateMatch || !timeMatch) {
    return null;
  }
  const [, year, month, day] = dateMatch.map(Number) as [number, number, number, number];
  const [, hour, minute, second = 0] = timeMatch.map((part) => Number(part ?? 0)) as [number, number, number, number];
  const asIfUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  if (Number.isNaN(asIfUtc)) {
    return null;
  }
  // The zone's offset at the guessed instant, then once more at the corrected
  // one, settles every instant that is not inside a daylight-saving gap.
  const firstGuess = asIfUtc - zoneOffsetMs(asIfUtc, timeZone);
  return asIfUtc - zoneOffsetMs(firstGuess, timeZone);
}

/** Returns the calendar date ("2024-01-18") of a UTC instant in an IANA time zone. */
export function localDate(instantMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(instantMs);
}

/** Returns how far the zone's wall clock is ahead of UTC at an instant, in milliseconds. */
function zoneOffsetMs(instantMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(instantMs);
  const field = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  const wallClock = Date.UTC(field("year"), field("month") - 1, field("day"), field("hour"), field("minute"), field("second"));
  return wallClock - Math.floor(instantMs / 1000) * 1000;
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Largest distance from the epoch a JavaScript Date can represent, in milliseconds. */
const MAX_DATE_MS = 8.64e15;

/**
 * Reads an ISO 8601 timestamp as UTC milliseconds, or null. A timestamp
 * without an offset is wall-clock time in `timeZone` (the clinic's), since
 * Chup writes local times.
 */
export function parseTimestamp(value: unknown, timeZone = "UTC"): number | null {
  const match = typeof value === "string" ? TIMESTAMP.exec(value.trim()) : null;
  if (!match) {
    return null;
  }
  const [, date, time, fraction, offset] = match;
  const millis = offset ? Date.parse(value as string) : zonedDateTimeToUtc(date, time, timeZone);
  if (millis === null || !Number.isFinite(millis) || Math.abs(millis) > MAX_DATE_MS) {
    return null;
  }
  return offset || !fraction ? millis : millis + Math.round(Number(fraction) * 1000);
}

/** Writes UTC milliseconds as an ISO 8601 string, or null when the value is not a representable time. */
export function isoOrNull(millis: number | null): string | null {
  return millis === null || !Number.isFinite(millis) || Math.abs(millis) > MAX_DATE_MS ? null : new Date(millis).toISOString();
}

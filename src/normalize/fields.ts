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

/** Converts an ISO 8601 timestamp with an offset to UTC; returns null when it cannot be read. */
export function toUtcIso(value: unknown): string | null {
  if (typeof value !== "string") {
    return null;
  }
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? null : new Date(millis).toISOString();
}

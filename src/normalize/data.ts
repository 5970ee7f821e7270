import type { NormalizeContext } from "./context";
import {
  APPOINTMENT_STATES,
  LIVE_QUEUE_STATES,
  normalizeIds,
  normalizeNotes,
  normalizeState,
  isoOrNull,
  parseTimestamp,
  toE164,
  toUtcIso,
  withSeconds,
  zonedDateTimeToUtc,
} from "./fields";

const LIVE_QUEUE_STATE_NAMES = Object.fromEntries(Object.entries(LIVE_QUEUE_STATES).map(([code, state]) => [code, state.name]));

const WALL_CLOCK_TIME_FIELDS = ["time", "original_time", "appointment_time"];

/**
 * Returns Chup's data with its drift fixed, field by field, and the raw
 * value kept beside as `<field>_raw` wherever the two differ:
 * - ids (`id`, `*_id`, at any depth) as canonical decimal strings;
 * - `state` as {code, name};
 * - `notes` as an array, each note's timestamps in UTC;
 * - timestamps (`*_at`) in UTC;
 * - phone numbers (`phone`, `*_phone`) in E.164, or null when unreadable;
 * - wall-clock times with seconds.
 * PHP writes an empty object as `[]`, so an empty array for `data` becomes {}.
 * Fields the gateway does not know are kept as received.
 */
export function normalizeData(raw: unknown, resource: string | undefined, context: NormalizeContext): Record<string, unknown> {
  const ids = normalizeIds(Array.isArray(raw) && raw.length === 0 ? {} : raw);
  if (!isRecord(ids)) {
    return { value: ids };
  }

  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(ids)) {
    out[key] = value;
    if (key.endsWith("_at")) {
      keepRawBeside(out, key, value, toUtcIso(value, context.timezone) ?? value);
    } else if (key === "phone" || key.endsWith("_phone")) {
      keepRawBeside(out, key, value, toE164(value, context.country));
    } else if (WALL_CLOCK_TIME_FIELDS.includes(key)) {
      keepRawBeside(out, key, value, withSeconds(value));
    }
  }

  if ("state" in ids && (resource === "visit" || resource === "appointment")) {
    const names = resource === "visit" ? LIVE_QUEUE_STATE_NAMES : APPOINTMENT_STATES;
    const state = normalizeState(ids.state, ids.state_name, names);
    out.state = state;
    if (typeof ids.state !== "number") {
      out.state_raw = ids.state;
    }
  }
  if ("notes" in ids) {
    out.notes = normalizeNotes(ids.notes).map((note) => normalizeNote(note, context.timezone));
    if (!Array.isArray(ids.notes)) {
      out.notes_raw = ids.notes;
    }
  }
  return out;
}

/** Sets `key` to the normalized value and, when it differs from the raw one, `<key>_raw` to the raw. */
function keepRawBeside(out: Record<string, unknown>, key: string, raw: unknown, normalized: unknown): void {
  out[key] = normalized;
  if (normalized !== raw) {
    out[`${key}_raw`] = raw;
  }
}

function normalizeNote(note: unknown, timeZone: string): unknown {
  if (!isRecord(note)) {
    return note;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(note)) {
    out[key] = key.endsWith("_at") ? (toUtcIso(value, timeZone) ?? value) : value;
  }
  return out;
}

/** Appointment start and end as UTC instants, read from its date and time in the clinic's time zone. */
export function appointmentInstants(data: Record<string, unknown>, timezone: string) {
  const startsAt = zonedDateTimeToUtc(data.date, data.time, timezone);
  const originalStartsAt = zonedDateTimeToUtc(data.original_date, data.original_time, timezone);
  const duration = typeof data.duration === "number" ? data.duration : Number.NaN;
  return {
    starts_at: isoOrNull(startsAt),
    ends_at: startsAt === null || !Number.isFinite(duration) ? null : isoOrNull(startsAt + duration * 60_000),
    original_starts_at: isoOrNull(originalStartsAt),
  };
}

/** Returns the source's updated_at of a normalized payload, in UTC milliseconds. */
export function sourceUpdatedAt(data: Record<string, unknown>): number | null {
  return parseTimestamp(data.updated_at);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

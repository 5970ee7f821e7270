/** Formatting of times, ages and long texts for the operations page. */

/** Formats a duration in seconds as "45 s", "12 min", "3 h 5 min" or "2 d 4 h". */
export function formatAge(seconds: number | null): string {
  if (seconds === null) {
    return "–";
  }
  if (seconds < 60) {
    return `${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours} h ${minutes % 60} min`;
  }
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/**
 * Formats an ISO timestamp as "2026-05-01 14:03:09" in `timeZone`, the
 * clinic's IANA zone, so operators read the clinic's local time.
 */
export function formatTime(iso: string | null, timeZone: string): string {
  if (iso === null) {
    return "–";
  }
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(iso));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((candidate) => candidate.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")}`;
}

/** Shortens a text to at most `maxLength` characters, ending in "…" when cut. */
export function truncate(text: string | null, maxLength: number): string {
  if (text === null) {
    return "";
  }
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}

/**
 * Returns the scheme and host of a delivery URL. The path and query are
 * left out because a HIS URL can carry a token there.
 */
export function urlHost(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "";
  }
}

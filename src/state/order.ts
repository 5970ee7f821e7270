/**
 * Builds the key that orders a clinic's events totally: the source's
 * updated_at, then the webhook's timestamp, then the event id. Milliseconds
 * are zero-padded so the keys compare correctly as text in SQLite. A
 * missing time sorts before any real one.
 */
export function orderKey(sourceUpdatedAt: number | null, webhookTimestamp: number | null, eventId: string): string {
  return `${pad(sourceUpdatedAt)}|${pad(webhookTimestamp)}|${eventId}`;
}

function pad(millis: number | null): string {
  return millis === null ? "0".repeat(15) : String(millis).padStart(15, "0");
}

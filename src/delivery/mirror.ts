import { eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { events, type DeliveryState } from "../db/schema";

/** One row of a DeliveryQueue's outbox table, as SQLite returns it. */
export interface OutboxRow {
  [column: string]: SqlStorageValue;
  seq: number;
  event_id: string;
  ordering_key: string;
  body: string;
  content_type: string;
  received_at: number;
  enqueued_at: number;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  mirror_pending: number;
}

/** Writes the delivery state of outbox rows to their D1 events rows, in one batch. */
export async function mirrorDeliveryStates(db: Database, rows: OutboxRow[]): Promise<void> {
  const updates = rows.map((row) =>
    db
      .update(events)
      .set({
        deliveryState: row.state,
        attempts: row.attempts,
        lastAttemptAt: row.last_attempt_at,
        lastStatus: row.last_status,
        lastError: row.last_error,
        nextAttemptAt: row.state === "retrying" ? row.next_attempt_at : null,
        deliveredAt: row.delivered_at,
      })
      .where(eq(events.id, row.event_id)),
  );
  const [first, ...rest] = updates;
  if (first) {
    await db.batch([first, ...rest]);
  }
}

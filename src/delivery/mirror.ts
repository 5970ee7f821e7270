import { eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../db/client";
import { deliveryAttempts, events, type DeliveryState } from "../db/schema";
import type { AttemptLogRow } from "./outbox";

/** One row of a DeliveryQueue's outbox table, as SQLite returns it. */
export interface OutboxRow {
  [column: string]: SqlStorageValue;
  seq: number;
  event_id: string;
  event_type: string;
  ordering_key: string;
  body: string;
  content_type: string;
  received_at: number;
  enqueued_at: number;
  budget_started_at: number;
  budget_attempt_offset: number;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  mirror_pending: number;
}

/**
 * Writes the delivery state of outbox rows to their D1 events rows, and the
 * attempt log to delivery_attempts, in one batch. Both writes are
 * idempotent, so a batch that is repeated after a failure changes nothing.
 */
export async function mirrorToD1(db: Database, clinicId: string, rows: OutboxRow[], attempts: AttemptLogRow[]): Promise<void> {
  const statements: BatchItem<"sqlite">[] = rows.map((row) =>
    db
      .update(events)
      .set({
        deliveryState: row.state,
        attempts: row.attempts,
        lastAttemptAt: row.last_attempt_at,
        lastStatus: row.last_status,
        lastError: row.last_error,
        nextAttemptAt: row.state === "retrying" || row.state === "queued" ? row.next_attempt_at : null,
        deliveredAt: row.delivered_at,
      })
      .where(eq(events.id, row.event_id)),
  );
  for (const attempt of attempts) {
    statements.push(
      db
        .insert(deliveryAttempts)
        .values({
          eventId: attempt.event_id,
          attempt: attempt.attempt,
          clinicId,
          startedAt: attempt.started_at,
          status: attempt.status,
          error: attempt.error,
          durationMs: attempt.duration_ms,
          outcome: attempt.outcome,
        })
        .onConflictDoNothing(),
    );
  }
  const [first, ...rest] = statements;
  if (first) {
    await db.batch([first, ...rest]);
  }
}

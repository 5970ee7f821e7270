/**
 * Storage of a clinic's pull queue, for a HIS behind a firewall that fetches
 * its events from the gateway. Each event stays until the HIS acknowledges
 * it. Handing an event out leases it for the visibility timeout; an event
 * not acknowledged by then is handed out again, always with the same id.
 * Events still unacknowledged after the clinic's retention expire and are
 * kept for an operator, never deleted unseen.
 */

export interface PulledEvent {
  /** Opaque position of the event; pass the batch's nextCursor as `after`. */
  cursor: string;
  id: string;
  contentType: string;
  /** How many times the event was handed out, this time included. */
  deliveries: number;
  /** The event as JSON text: a CloudEvent, or a FHIR Bundle for a FHIR clinic. */
  body: string;
}

interface PullRow {
  [column: string]: SqlStorageValue;
  seq: number;
  event_id: string;
  body: string;
  content_type: string;
  deliveries: number;
}

export class PullQueue {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS pull_queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        ordering_key TEXT NOT NULL,
        body TEXT NOT NULL,
        content_type TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        lease_until INTEGER NOT NULL DEFAULT 0,
        deliveries INTEGER NOT NULL DEFAULT 0,
        acked_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS pull_queue_pending ON pull_queue (state, seq);
    `);
  }

  /** Adds an event; returns false when the event id is already queued. */
  insert(event: { eventId: string; orderingKey: string; body: string; contentType: string; receivedAt: number }): boolean {
    const inserted = this.sql.exec(
      `INSERT INTO pull_queue (event_id, ordering_key, body, content_type, received_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (event_id) DO NOTHING RETURNING seq`,
      event.eventId,
      event.orderingKey,
      event.body,
      event.contentType,
      event.receivedAt,
    );
    return inserted.toArray().length > 0;
  }

  /** Marks events past the retention as expired; returns how many. */
  expire(receivedBefore: number): number {
    return this.sql.exec("UPDATE pull_queue SET state = 'expired' WHERE state = 'pending' AND received_at < ? RETURNING seq", receivedBefore).toArray().length;
  }

  /**
   * Hands out up to `limit` pending events in queue order: those after the
   * cursor, and earlier ones whose lease has run out. Each is leased until
   * `leaseUntil`.
   */
  take(after: number, limit: number, now: number, leaseUntil: number): { events: PulledEvent[]; nextCursor: number } {
    const rows = this.sql
      .exec<PullRow>(
        `SELECT seq, event_id, body, content_type, deliveries FROM pull_queue
         WHERE state = 'pending' AND (seq > ? OR lease_until <= ?)
         ORDER BY seq LIMIT ?`,
        after,
        now,
        limit,
      )
      .toArray();
    for (const row of rows) {
      this.sql.exec("UPDATE pull_queue SET lease_until = ?, deliveries = deliveries + 1 WHERE seq = ?", leaseUntil, row.seq);
    }
    const nextCursor = rows.reduce((highest, row) => Math.max(highest, row.seq), after);
    return {
      events: rows.map((row) => ({
        cursor: String(row.seq),
        id: row.event_id,
        contentType: row.content_type,
        deliveries: row.deliveries + 1,
        body: row.body,
      })),
      nextCursor,
    };
  }

  /**
   * Acknowledges events: every handed-out event up to a cursor, or the
   * listed ids. Returns the ids newly acknowledged.
   */
  ack(selection: { upTo?: number; eventIds?: string[] }, now: number): string[] {
    const acked: string[] = [];
    if (selection.upTo !== undefined) {
      const rows = this.sql
        .exec<{ event_id: string }>(
          "UPDATE pull_queue SET state = 'acked', acked_at = ? WHERE state = 'pending' AND seq <= ? AND deliveries > 0 RETURNING event_id",
          now,
          selection.upTo,
        )
        .toArray();
      acked.push(...rows.map((row) => row.event_id));
    }
    for (const eventId of selection.eventIds ?? []) {
      const rows = this.sql
        .exec<{ event_id: string }>("UPDATE pull_queue SET state = 'acked', acked_at = ? WHERE state = 'pending' AND event_id = ? RETURNING event_id", now, eventId)
        .toArray();
      acked.push(...rows.map((row) => row.event_id));
    }
    return acked;
  }

  /** Counts by state and the oldest pending event's receive time. */
  stats(): { counts: Record<string, number>; oldestPendingReceivedAt: number | null } {
    const rows = this.sql.exec<{ state: string; count: number }>("SELECT state, COUNT(*) AS count FROM pull_queue GROUP BY state").toArray();
    const oldest = this.sql.exec<{ oldest: number | null }>("SELECT MIN(received_at) AS oldest FROM pull_queue WHERE state = 'pending'").one().oldest;
    return { counts: Object.fromEntries(rows.map((row) => [row.state, row.count])), oldestPendingReceivedAt: oldest };
  }

  /** Deletes acknowledged events older than `before`. */
  purgeAcked(before: number): void {
    this.sql.exec("DELETE FROM pull_queue WHERE state = 'acked' AND acked_at < ?", before);
  }
}

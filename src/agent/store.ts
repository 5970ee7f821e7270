import { DatabaseSync } from "node:sqlite";

/** An event the agent pulled and has not yet had acknowledged by the gateway. */
export interface StoredEvent {
  /** The gateway's cursor for the event, which orders events. */
  seq: number;
  eventId: string;
  body: string;
  contentType: string;
  /** pending: not yet accepted by the local HIS; sent: accepted, acknowledgement not yet confirmed. */
  status: "pending" | "sent";
}

interface EventRow {
  seq: number;
  event_id: string;
  body: string;
  content_type: string;
  status: "pending" | "sent";
}

/**
 * The agent's local state in one SQLite file: the pull cursor and every
 * event between being pulled and being acknowledged. Each change is
 * committed before the agent acts on it, so a crash at any point resumes
 * without losing an event; at worst the local HIS receives an event again,
 * with the same webhook-id.
 */
export class AgentStore {
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = new DatabaseSync(path);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events (
        event_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        body TEXT NOT NULL,
        content_type TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
      );
      CREATE INDEX IF NOT EXISTS events_seq ON events (status, seq);
    `);
  }

  cursor(): string {
    const row = this.db.prepare("SELECT value FROM state WHERE key = 'cursor'").get() as { value: string } | undefined;
    return row?.value ?? "0";
  }

  /**
   * Saves a pulled batch and the next cursor in one transaction. An event
   * the agent already delivered comes back only when its acknowledgement
   * was lost, so it is kept as "sent" and acknowledged again, not resent.
   */
  saveBatch(events: { cursor: string; id: string; body: string; contentType: string }[], nextCursor: string): void {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const insert = this.db.prepare("INSERT INTO events (event_id, seq, body, content_type) VALUES (?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING");
      for (const event of events) {
        insert.run(event.id, Number(event.cursor), event.body, event.contentType);
      }
      this.db.prepare("INSERT INTO state (key, value) VALUES ('cursor', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(nextCursor);
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Events the local HIS has not accepted yet, in gateway order. */
  pending(): StoredEvent[] {
    return (this.db.prepare("SELECT * FROM events WHERE status = 'pending' ORDER BY seq").all() as unknown as EventRow[]).map(toStored);
  }

  /** Ids of events the local HIS accepted whose acknowledgement is not yet confirmed. */
  unacknowledged(limit: number): string[] {
    const rows = this.db.prepare("SELECT event_id FROM events WHERE status = 'sent' ORDER BY seq LIMIT ?").all(limit) as { event_id: string }[];
    return rows.map((row) => row.event_id);
  }

  markSent(eventId: string): void {
    this.db.prepare("UPDATE events SET status = 'sent' WHERE event_id = ?").run(eventId);
  }

  /** Forgets acknowledged events: the gateway will not hand them out again. */
  markAcknowledged(eventIds: string[]): void {
    const remove = this.db.prepare("DELETE FROM events WHERE event_id = ? AND status = 'sent'");
    for (const eventId of eventIds) {
      remove.run(eventId);
    }
  }

  close(): void {
    this.db.close();
  }
}

function toStored(row: EventRow): StoredEvent {
  return { seq: row.seq, eventId: row.event_id, body: row.body, contentType: row.content_type, status: row.status };
}

import type { DeliveryState } from "../db/schema";
import type { AttemptResult } from "./attempt";
import { CLOSED_CIRCUIT, type CircuitState } from "./circuit";
import type { OutboxRow } from "./mirror";
import { CLOUDEVENTS_CONTENT_TYPE } from "./payload";
import type { QueuedEvent } from "./queue";

/** Events that still wait for delivery. */
const PENDING = "('queued', 'retrying')";

/** Selects the oldest pending event of each ordering key; later events of a key wait behind it. */
const HEADS = `
  SELECT o.* FROM outbox o
  WHERE o.state IN ${PENDING}
    AND o.seq = (SELECT MIN(p.seq) FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.state IN ${PENDING})`;

/** Selection of dead letters for a replay or a listing. */
export interface DeadLetterFilter {
  eventIds?: string[];
  type?: string;
}

/**
 * The delivery queue's SQLite storage: the outbox of events, the log of
 * attempts, and settings kept in a small key-value table. Every write is
 * synchronous, so a Durable Object method that runs without awaiting
 * between two writes cannot interleave with another.
 */
export class Outbox {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        ordering_key TEXT NOT NULL,
        body TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        enqueued_at INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        delivered_at INTEGER,
        mirror_pending INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS outbox_ordering ON outbox (ordering_key, state, seq);
      CREATE INDEX IF NOT EXISTS outbox_mirror ON outbox (mirror_pending);
      CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
      CREATE TABLE IF NOT EXISTS attempt_log (
        event_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        status INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        mirrored INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (event_id, attempt)
      );
      CREATE INDEX IF NOT EXISTS attempt_log_mirror ON attempt_log (mirrored);
    `);
    // Outboxes created by earlier versions lack these columns.
    this.addColumnIfMissing("content_type", `TEXT NOT NULL DEFAULT '${CLOUDEVENTS_CONTENT_TYPE}'`);
    this.addColumnIfMissing("event_type", "TEXT NOT NULL DEFAULT ''");
    // Start of the event's retry budget: its enqueue time, or its last replay.
    if (this.addColumnIfMissing("budget_started_at", "INTEGER NOT NULL DEFAULT 0")) {
      this.sql.exec("UPDATE outbox SET budget_started_at = enqueued_at");
    }
    // Attempts made before the budget started (before the last replay).
    this.addColumnIfMissing("budget_attempt_offset", "INTEGER NOT NULL DEFAULT 0");
  }

  /** Adds a column to the outbox unless it exists; returns true when it was added. */
  private addColumnIfMissing(name: string, definition: string): boolean {
    const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(outbox)").toArray();
    if (columns.some((column) => column.name === name)) {
      return false;
    }
    this.sql.exec(`ALTER TABLE outbox ADD COLUMN ${name} ${definition}`);
    return true;
  }

  getMeta(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  setMeta(key: string, value: string | null): void {
    if (value === null) {
      this.sql.exec("DELETE FROM meta WHERE key = ?", key);
    } else {
      this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
    }
  }

  circuit(): CircuitState {
    const stored = this.getMeta("circuit");
    return stored === null ? CLOSED_CIRCUIT : (JSON.parse(stored) as CircuitState);
  }

  setCircuit(circuit: CircuitState): void {
    this.setMeta("circuit", JSON.stringify(circuit));
  }

  /** Adds an event; returns false when the event id is already in the outbox. */
  insert(event: QueuedEvent, now: number): boolean {
    const inserted = this.sql.exec(
      `INSERT INTO outbox (event_id, event_type, ordering_key, body, content_type, received_at, enqueued_at, budget_started_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING RETURNING seq`,
      event.eventId,
      event.eventType,
      event.orderingKey,
      event.body,
      event.contentType,
      event.receivedAt,
      now,
      now,
      now,
    );
    return inserted.toArray().length > 0;
  }

  /** Heads that are due at `now`, oldest first, leaving out ordering keys already in flight. */
  dueHeads(now: number, inFlightKeys: ReadonlySet<string>, limit: number): OutboxRow[] {
    const rows = this.sql.exec<OutboxRow>(`${HEADS} AND o.next_attempt_at <= ? ORDER BY o.seq LIMIT ?`, now, limit + inFlightKeys.size).toArray();
    return rows.filter((row) => !inFlightKeys.has(row.ordering_key)).slice(0, limit);
  }

  /** Returns the oldest head whatever its due time: the probe while the circuit is open. */
  oldestHead(): OutboxRow | null {
    return this.sql.exec<OutboxRow>(`${HEADS} ORDER BY o.seq LIMIT 1`).toArray()[0] ?? null;
  }

  /** When the earliest head is due, or null when nothing is pending. */
  nextDueAt(): number | null {
    return this.sql.exec<{ due: number | null }>(`SELECT MIN(due.next_attempt_at) AS due FROM (${HEADS}) AS due`).one().due;
  }

  /** Makes every pending event due now, once the HIS is reachable again. */
  makePendingDue(now: number): void {
    this.sql.exec(`UPDATE outbox SET next_attempt_at = ? WHERE state IN ${PENDING} AND next_attempt_at > ?`, now, now);
  }

  /** Records one attempt and the event's new state; `nextAttemptAt` applies to "retrying". */
  recordAttempt(row: OutboxRow, result: AttemptResult, state: DeliveryState, outcome: string, startedAt: number, nextAttemptAt: number | null): void {
    const attempts = row.attempts + 1;
    this.sql.exec(
      `UPDATE outbox SET state = ?, attempts = ?, last_attempt_at = ?, last_status = ?, last_error = ?,
         next_attempt_at = COALESCE(?, next_attempt_at), delivered_at = ?, mirror_pending = 1 WHERE seq = ?`,
      state,
      attempts,
      startedAt,
      result.status,
      result.error,
      nextAttemptAt,
      state === "delivered" ? startedAt + result.durationMs : null,
      row.seq,
    );
    this.sql.exec(
      `INSERT INTO attempt_log (event_id, attempt, started_at, status, error, duration_ms, outcome)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      row.event_id,
      attempts,
      startedAt,
      result.status,
      result.error,
      result.durationMs,
      outcome,
    );
  }

  rowsToMirror(limit: number): OutboxRow[] {
    return this.sql.exec<OutboxRow>("SELECT * FROM outbox WHERE mirror_pending = 1 LIMIT ?", limit).toArray();
  }

  attemptsToMirror(limit: number): AttemptLogRow[] {
    return this.sql.exec<AttemptLogRow>("SELECT * FROM attempt_log WHERE mirrored = 0 LIMIT ?", limit).toArray();
  }

  /** Clears the copy flags of rows written to D1, unless a row changed again meanwhile. */
  markMirrored(rows: OutboxRow[], attempts: AttemptLogRow[]): void {
    for (const row of rows) {
      this.sql.exec("UPDATE outbox SET mirror_pending = 0 WHERE seq = ? AND state = ? AND attempts = ?", row.seq, row.state, row.attempts);
    }
    for (const attempt of attempts) {
      this.sql.exec("UPDATE attempt_log SET mirrored = 1 WHERE event_id = ? AND attempt = ?", attempt.event_id, attempt.attempt);
    }
  }

  hasUnmirrored(): boolean {
    const outbox = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE mirror_pending = 1").one().n;
    const attempts = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM attempt_log WHERE mirrored = 0").one().n;
    return outbox + attempts > 0;
  }

  /** Deletes delivered events older than `before`; their D1 rows and attempt log stay. */
  purgeDelivered(before: number): void {
    this.sql.exec("DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < ? AND mirror_pending = 0", before);
    this.sql.exec("DELETE FROM attempt_log WHERE mirrored = 1 AND started_at < ?", before);
  }

  counts(): Record<string, number> {
    const rows = this.sql.exec<{ state: string; count: number }>("SELECT state, COUNT(*) AS count FROM outbox GROUP BY state").toArray();
    return Object.fromEntries(rows.map((row) => [row.state, row.count]));
  }

  oldestPendingReceivedAt(): number | null {
    return this.sql.exec<{ oldest: number | null }>(`SELECT MIN(received_at) AS oldest FROM outbox WHERE state IN ${PENDING}`).one().oldest;
  }

  deadLetters(filter: DeadLetterFilter, limit: number): OutboxRow[] {
    const { clause, values } = deadLetterWhere(filter);
    return this.sql.exec<OutboxRow>(`SELECT * FROM outbox WHERE ${clause} ORDER BY seq LIMIT ?`, ...values, limit).toArray();
  }

  find(eventId: string): OutboxRow | null {
    return this.sql.exec<OutboxRow>("SELECT * FROM outbox WHERE event_id = ?", eventId).toArray()[0] ?? null;
  }

  /** Puts dead letters back in the queue with a fresh retry budget; returns how many. */
  replay(filter: DeadLetterFilter, now: number): number {
    const { clause, values } = deadLetterWhere(filter);
    // RETURNING counts rows; the cursor's rowsWritten would also count index writes.
    const replayed = this.sql.exec(
      `UPDATE outbox SET state = 'queued', budget_attempt_offset = attempts, budget_started_at = ?, next_attempt_at = ?, mirror_pending = 1
       WHERE ${clause} RETURNING seq`,
      now,
      now,
      ...values,
    );
    return replayed.toArray().length;
  }

  /** Marks one dead letter discarded with the operator's reason; returns false when it is not a dead letter. */
  discard(eventId: string, reason: string): boolean {
    const discarded = this.sql.exec(
      "UPDATE outbox SET state = 'discarded', last_error = ?, mirror_pending = 1 WHERE event_id = ? AND state = 'dead' RETURNING seq",
      `discarded by an operator: ${reason}`,
      eventId,
    );
    return discarded.toArray().length > 0;
  }
}

export interface AttemptLogRow {
  [column: string]: SqlStorageValue;
  event_id: string;
  attempt: number;
  started_at: number;
  status: number | null;
  error: string | null;
  duration_ms: number;
  outcome: string;
  mirrored: number;
}

function deadLetterWhere(filter: DeadLetterFilter): { clause: string; values: SqlStorageValue[] } {
  const clauses = ["state = 'dead'"];
  const values: SqlStorageValue[] = [];
  if (filter.eventIds && filter.eventIds.length > 0) {
    clauses.push(`event_id IN (${filter.eventIds.map(() => "?").join(", ")})`);
    values.push(...filter.eventIds);
  }
  if (filter.type) {
    clauses.push("event_type = ?");
    values.push(filter.type);
  }
  return { clause: clauses.join(" AND "), values };
}

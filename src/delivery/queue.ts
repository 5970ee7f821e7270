import { DurableObject } from "cloudflare:workers";
import { getClinic } from "../clinics";
import { openDatabase } from "../db/client";
import { describeError } from "../http/problem";
import { log } from "../log";
import { attemptDelivery, type AttemptResult } from "./attempt";
import { isRetryBudgetSpent, retryDelayMs } from "./backoff";
import { mirrorDeliveryStates, type OutboxRow } from "./mirror";
import { CLOUDEVENTS_CONTENT_TYPE } from "./payload";

/** An event handed to a clinic's queue by ingest. */
export interface QueuedEvent {
  eventId: string;
  orderingKey: string;
  /** The request body sent to the HIS: a CloudEvent or a FHIR Bundle, as JSON text. */
  body: string;
  contentType: string;
  receivedAt: number;
}

/** Events of different ordering keys sent at the same time, at most. */
const DELIVERY_CONCURRENCY = 6;
/** One alarm run stops starting new rounds after this long and re-arms at once. */
const ALARM_BUDGET_MS = 20_000;
/** When the clinic's settings cannot be read, the queue waits this long. */
const MISSING_CLINIC_DELAY_MS = 60_000;
/** Delivered rows stay this long so a late duplicate enqueue is still recognised. */
const DELIVERED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

const PENDING = "('queued', 'retrying')";

/**
 * A clinic's delivery queue: one object per clinic (named by the clinic id)
 * keeps its outgoing events in SQLite storage and sends them from alarm().
 * Events sharing an ordering key (one visit, one appointment) go out one at
 * a time in the order they were enqueued. Different keys go out in
 * parallel, so one patient's failing event does not delay another's.
 * Everything needed to resume lives in storage, so eviction loses nothing.
 */
export class DeliveryQueue extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private draining = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.migrate();
    });
  }

  /**
   * Adds an event to the queue and makes sure an alarm will send it.
   * Enqueueing the same event id again changes nothing.
   */
  async enqueue(clinicId: string, event: QueuedEvent): Promise<void> {
    const now = Date.now();
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('clinic_id', ?) ON CONFLICT (key) DO NOTHING", clinicId);
    this.sql.exec(
      `INSERT INTO outbox (event_id, ordering_key, body, content_type, received_at, enqueued_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
      event.eventId,
      event.orderingKey,
      event.body,
      event.contentType,
      event.receivedAt,
      now,
      now,
    );
    await this.armAlarm(now);
  }

  /** Counts of the queue's events by state. */
  async stats(): Promise<Record<string, number>> {
    const rows = this.sql.exec<{ state: string; count: number }>("SELECT state, COUNT(*) AS count FROM outbox GROUP BY state").toArray();
    return Object.fromEntries(rows.map((row) => [row.state, row.count]));
  }

  override async alarm(): Promise<void> {
    if (this.draining) {
      return;
    }
    this.draining = true;
    try {
      await this.drain();
    } catch (error) {
      log.error("delivery round failed", { clinic_id: this.clinicId(), error: describeError(error) });
    } finally {
      this.draining = false;
      await this.scheduleNextAlarm();
    }
  }

  private migrate(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        ordering_key TEXT NOT NULL,
        body TEXT NOT NULL,
        content_type TEXT NOT NULL,
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
    `);
    // Outboxes created before delivery formats existed lack content_type; their
    // events are all CloudEvents.
    const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(outbox)").toArray();
    if (!columns.some((column) => column.name === "content_type")) {
      this.sql.exec(`ALTER TABLE outbox ADD COLUMN content_type TEXT NOT NULL DEFAULT '${CLOUDEVENTS_CONTENT_TYPE}'`);
    }
  }

  private clinicId(): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'clinic_id'").toArray()[0];
    return row?.value ?? null;
  }

  /** Sends due events round by round until none is due or the time budget is spent. */
  private async drain(): Promise<void> {
    const clinicId = this.clinicId();
    const clinic = clinicId ? await getClinic(openDatabase(this.env.DB), clinicId) : undefined;
    if (!clinicId || !clinic) {
      log.error("delivery postponed: clinic settings not found", { clinic_id: clinicId });
      this.sql.exec(`UPDATE outbox SET next_attempt_at = ? WHERE state IN ${PENDING}`, Date.now() + MISSING_CLINIC_DELAY_MS);
      return;
    }

    const target = { url: clinic.deliveryUrl, signingSecret: clinic.signingSecret };
    const deadline = Date.now() + ALARM_BUDGET_MS;
    while (Date.now() < deadline) {
      const heads = this.dueHeads(Date.now(), DELIVERY_CONCURRENCY);
      if (heads.length === 0) {
        break;
      }
      await Promise.all(
        heads.map(async (head) => {
          const now = Date.now();
          const result = await attemptDelivery(target, head.event_id, { body: head.body, contentType: head.content_type }, now);
          this.recordAttempt(clinicId, head, result, now);
        }),
      );
      await this.mirrorToD1(clinicId);
    }
    this.sql.exec("DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < ?", Date.now() - DELIVERED_RETENTION_MS);
  }

  /** Selects the oldest pending event of each ordering key, when it is due. */
  private dueHeads(now: number, limit: number): OutboxRow[] {
    return this.sql
      .exec<OutboxRow>(
        `SELECT o.* FROM outbox o
         WHERE o.state IN ${PENDING}
           AND o.seq = (SELECT MIN(p.seq) FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.state IN ${PENDING})
           AND o.next_attempt_at <= ?
         ORDER BY o.seq LIMIT ?`,
        now,
        limit,
      )
      .toArray();
  }

  private recordAttempt(clinicId: string, head: OutboxRow, result: AttemptResult, now: number): void {
    const attempts = head.attempts + 1;
    const fields = { clinic_id: clinicId, event_id: head.event_id, attempt: attempts, status: result.status, duration_ms: result.durationMs };

    if (result.delivered) {
      this.sql.exec(
        `UPDATE outbox SET state = 'delivered', attempts = ?, last_attempt_at = ?, last_status = ?, last_error = NULL,
           delivered_at = ?, mirror_pending = 1 WHERE seq = ?`,
        attempts,
        now,
        result.status,
        now,
        head.seq,
      );
      log.info("event delivered", fields);
      return;
    }

    if (isRetryBudgetSpent(attempts, head.received_at, now)) {
      this.sql.exec(
        `UPDATE outbox SET state = 'dead', attempts = ?, last_attempt_at = ?, last_status = ?, last_error = ?,
           mirror_pending = 1 WHERE seq = ?`,
        attempts,
        now,
        result.status,
        result.error,
        head.seq,
      );
      log.error("event dead-lettered: retry budget spent", fields);
      return;
    }

    const delay = retryDelayMs(attempts);
    this.sql.exec(
      `UPDATE outbox SET state = 'retrying', attempts = ?, last_attempt_at = ?, last_status = ?, last_error = ?,
         next_attempt_at = ?, mirror_pending = 1 WHERE seq = ?`,
      attempts,
      now,
      result.status,
      result.error,
      now + delay,
      head.seq,
    );
    log.warn("delivery failed, will retry", { ...fields, delay_ms: delay });
  }

  /** Copies changed delivery states to D1; rows that fail to copy are tried again next round. */
  private async mirrorToD1(clinicId: string): Promise<void> {
    const rows = this.sql.exec<OutboxRow>("SELECT * FROM outbox WHERE mirror_pending = 1 LIMIT 100").toArray();
    if (rows.length === 0) {
      return;
    }
    try {
      await mirrorDeliveryStates(openDatabase(this.env.DB), rows);
      for (const row of rows) {
        this.sql.exec("UPDATE outbox SET mirror_pending = 0 WHERE seq = ? AND last_attempt_at IS ?", row.seq, row.last_attempt_at);
      }
    } catch (error) {
      log.error("delivery state copy to D1 failed", { clinic_id: clinicId, rows: rows.length, error: describeError(error) });
    }
  }

  private async scheduleNextAlarm(): Promise<void> {
    const mirrorPending = this.sql.exec<{ count: number }>("SELECT COUNT(*) AS count FROM outbox WHERE mirror_pending = 1").one().count;
    const next = this.sql
      .exec<{ due: number | null }>(
        `SELECT MIN(o.next_attempt_at) AS due FROM outbox o
         WHERE o.state IN ${PENDING}
           AND o.seq = (SELECT MIN(p.seq) FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.state IN ${PENDING})`,
      )
      .one().due;
    const candidates = [next, mirrorPending > 0 ? Date.now() + MISSING_CLINIC_DELAY_MS : null].filter((at): at is number => at !== null);
    if (candidates.length > 0) {
      await this.ctx.storage.setAlarm(Math.max(Date.now(), Math.min(...candidates)));
    }
  }

  private async armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) {
      await this.ctx.storage.setAlarm(at);
    }
  }
}

import { DurableObject } from "cloudflare:workers";
import { type Clinic, clinicSecrets, getClinic } from "../clinics";
import { openSecretBox } from "../secrets/box";
import { openDatabase } from "../db/client";
import { describeError } from "../http/problem";
import { log } from "../log";
import { recordMetric } from "../metrics";
import { isoOrNull } from "../normalize/fields";
import { type AttemptResult, attemptDelivery, type DeliveryTarget } from "./attempt";
import { isRetryBudgetSpent, retryDelayMs } from "./backoff";
import { afterFailure, CLOSED_CIRCUIT, isOpen } from "./circuit";
import { mirrorToD1, type OutboxRow } from "./mirror";
import { classifyAttempt } from "./outcome";
import { type DeadLetterFilter, Outbox } from "./outbox";
import { type PulledEvent, PullQueue } from "./pull";

/** An event handed to a clinic's queue by ingest. */
export interface QueuedEvent {
  eventId: string;
  /** The CloudEvent type, kept for filtering dead letters. */
  eventType: string;
  orderingKey: string;
  /** The request body sent to the HIS: a CloudEvent or a FHIR Bundle, as JSON text. */
  body: string;
  contentType: string;
  receivedAt: number;
}

/** One alarm run stops starting new deliveries after this long and re-arms at once. */
const ALARM_BUDGET_MS = 20_000;
/** When the clinic's settings cannot be read, the queue waits this long. */
const MISSING_CLINIC_DELAY_MS = 60_000;
/** When copying states to D1 failed, the queue tries again after this long. */
const MIRROR_RETRY_DELAY_MS = 30_000;
/** Delivered rows stay this long so a late duplicate enqueue is still recognised. */
const DELIVERED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Due heads read from storage at once while sending. */
const DUE_HEADS_BATCH = 100;
/** Rows copied to D1 per batch. */
const MIRROR_BATCH_ROWS = 50;
/** Acknowledged pull events stay this long so a late duplicate enqueue is still recognised. */
const ACKED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** Delivery routes of an event: pushed to the HIS, kept for the HIS to pull, or both. */
export interface DeliveryRoutes {
  push: boolean;
  pull: boolean;
}

/** Pull settings of the clinic, passed by the read API with each call. */
export interface PullSettings {
  visibilityTimeoutMs: number;
  retentionMs: number;
}

/**
 * A clinic's delivery queue: one object per clinic (named by the clinic id)
 * keeps its outgoing events in SQLite storage and sends them from alarm().
 *
 * - Events sharing an ordering key (one visit, one appointment) go out one
 *   at a time in the order they were enqueued. Different keys go out in
 *   parallel, up to the clinic's concurrency and rate, so one patient's
 *   failing event does not delay another's.
 * - Timeouts, 408, 429 and 5xx are retried with capped backoff, never
 *   sooner than a Retry-After requests. Any other 4xx goes to the dead letters.
 * - After repeated failures a circuit opens and only one probe at a time
 *   goes out until the HIS answers again.
 * - Everything needed to resume lives in storage, so eviction loses nothing.
 */
export class DeliveryQueue extends DurableObject<Env> {
  private readonly outbox: Outbox;
  private readonly pullQueue: PullQueue;
  private draining = false;
  /** Bumped when heads can change other than by sending (a replay), so cached heads are re-read. */
  private headsVersion = 0;
  /** Long polls waiting for the next pull event; woken by enqueue. */
  private readonly pullWaiters = new Set<() => void>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.outbox = new Outbox(ctx.storage.sql);
    this.pullQueue = new PullQueue(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.outbox.migrate();
      this.pullQueue.migrate();
    });
  }

  /**
   * Adds an event to the queue and makes sure an alarm will send it.
   * Enqueueing the same event id again changes nothing.
   */
  async enqueue(clinicId: string, event: QueuedEvent, routes: DeliveryRoutes = { push: true, pull: false }): Promise<void> {
    const now = Date.now();
    if (this.outbox.getMeta("clinic_id") === null) {
      this.outbox.setMeta("clinic_id", clinicId);
    }
    if (routes.pull && this.pullQueue.insert(event)) {
      for (const wake of this.pullWaiters) {
        wake();
      }
    }
    if (routes.push) {
      this.outbox.insert(event, now);
      if (this.outbox.getMeta("paused") === null) {
        await this.armAlarm(now);
      }
    }
  }

  /**
   * Hands out the clinic's pending pull events after `after`, with any
   * whose lease ran out. When none is pending it waits up to `waitMs` for
   * one to arrive (a long poll).
   */
  async pullEvents(after: number, limit: number, waitMs: number, settings: PullSettings): Promise<{ events: PulledEvent[]; nextCursor: string }> {
    const take = () => {
      const now = Date.now();
      const expired = this.pullQueue.expire(now - settings.retentionMs);
      if (expired > 0) {
        log.error("pull events expired unacknowledged", { clinic_id: this.outbox.getMeta("clinic_id"), count: expired });
      }
      return this.pullQueue.take(after, limit, now, now + settings.visibilityTimeoutMs);
    };

    let batch = take();
    if (batch.events.length === 0 && waitMs > 0) {
      let wake = () => {};
      const arrived = new Promise<void>((resolve) => {
        wake = resolve;
      });
      this.pullWaiters.add(wake);
      try {
        await Promise.race([arrived, scheduler.wait(waitMs)]);
      } finally {
        this.pullWaiters.delete(wake);
      }
      batch = take();
    }
    return { events: batch.events, nextCursor: String(batch.nextCursor) };
  }

  /** Acknowledges pull events up to a cursor or by id; returns the ids newly acknowledged. */
  async ackPulled(selection: { upTo?: number; eventIds?: string[] }): Promise<string[]> {
    const now = Date.now();
    const acked = this.pullQueue.ack(selection, now);
    this.pullQueue.purgeAcked(now - ACKED_RETENTION_MS);
    return acked;
  }

  /** Returns the queue's depth, oldest undelivered age, dead letters, pause and circuit state. */
  async stats() {
    const now = Date.now();
    const counts = this.outbox.counts();
    const oldest = this.outbox.oldestPendingReceivedAt();
    const circuit = this.outbox.circuit();
    const pull = this.pullQueue.stats();
    return {
      depth: (counts.queued ?? 0) + (counts.retrying ?? 0),
      oldestUndeliveredAgeSeconds: oldest === null ? null : Math.max(0, Math.round((now - oldest) / 1000)),
      counts,
      paused: this.outbox.getMeta("paused") !== null,
      circuit: {
        state: isOpen(circuit) ? "open" : "closed",
        consecutiveFailures: circuit.consecutiveFailures,
        nextProbeAt: circuit.nextProbeAt === null ? null : new Date(circuit.nextProbeAt).toISOString(),
      },
      pull: {
        pending: pull.counts.pending ?? 0,
        counts: pull.counts,
        oldestPendingAgeSeconds: pull.oldestPendingReceivedAt === null ? null : Math.max(0, Math.round((now - pull.oldestPendingReceivedAt) / 1000)),
      },
    };
  }

  async deadLetters(filter: DeadLetterFilter, limit: number) {
    return this.outbox.deadLetters(filter, limit).map(describeRow);
  }

  async inspect(eventId: string) {
    const row = this.outbox.find(eventId);
    return row === null ? null : describeRow(row);
  }

  /** Puts matching dead letters back in the queue with a fresh retry budget; returns how many. */
  async replay(filter: DeadLetterFilter): Promise<number> {
    const now = Date.now();
    const count = this.outbox.replay(filter, now);
    this.headsVersion += 1;
    if (count > 0) {
      log.info("dead letters replayed", { clinic_id: this.outbox.getMeta("clinic_id"), count });
      await this.armAlarm(now);
    }
    return count;
  }

  async discard(eventId: string, reason: string): Promise<boolean> {
    const discarded = this.outbox.discard(eventId, reason);
    if (discarded) {
      log.info("dead letter discarded", { clinic_id: this.outbox.getMeta("clinic_id"), event_id: eventId });
      await this.armAlarm(Date.now());
    }
    return discarded;
  }

  /** True while no alarm run is sending; with the queue paused, nothing more will be sent. */
  async isIdle(): Promise<boolean> {
    return !this.draining;
  }

  /** Stops deliveries until resume(); events keep being accepted and queued. */
  async pause(): Promise<void> {
    this.outbox.setMeta("paused", new Date().toISOString());
    await this.ctx.storage.deleteAlarm();
    log.info("delivery paused", { clinic_id: this.outbox.getMeta("clinic_id") });
  }

  async resume(): Promise<void> {
    this.outbox.setMeta("paused", null);
    log.info("delivery resumed", { clinic_id: this.outbox.getMeta("clinic_id") });
    await this.armAlarm(Date.now());
  }

  /**
   * Sends what is due. Every error is caught and logged, and the next alarm
   * is set before the handler returns, so a failure never stalls the queue.
   */
  override async alarm(): Promise<void> {
    if (this.draining) {
      return;
    }
    this.draining = true;
    let retryMirrorSoon = false;
    try {
      if (this.outbox.getMeta("paused") === null) {
        await this.drain();
      }
    } catch (error) {
      log.error("delivery round failed", { clinic_id: this.outbox.getMeta("clinic_id"), error: describeError(error) });
    } finally {
      retryMirrorSoon = !(await this.mirror());
      this.draining = false;
      await this.scheduleNextAlarm(retryMirrorSoon);
    }
  }

  /** Sends due events until none is due or the time budget is spent. */
  private async drain(): Promise<void> {
    const clinicId = this.outbox.getMeta("clinic_id");
    const clinic = clinicId ? await getClinic(openDatabase(this.env.DB), clinicId) : undefined;
    if (!clinicId || !clinic) {
      log.error("delivery postponed: clinic settings not found", { clinic_id: clinicId });
      this.outbox.setMeta("postponed_until", String(Date.now() + MISSING_CLINIC_DELAY_MS));
      return;
    }
    this.outbox.setMeta("postponed_until", null);
    const { signingSecrets } = await clinicSecrets(await openSecretBox(this.env), clinic);
    const target: DeliveryTarget = { url: clinic.deliveryUrl, signingSecrets };

    if (isOpen(this.outbox.circuit())) {
      const closed = await this.probe(clinic, target);
      if (!closed) {
        return;
      }
    }
    await this.sendDue(clinic, target);
    this.outbox.purgeDelivered(Date.now() - DELIVERED_RETENTION_MS);
  }

  /**
   * Sends the oldest pending event alone while the circuit is open, once
   * the probe time has come. Returns true when the HIS accepted it and the
   * circuit closed.
   */
  private async probe(clinic: Clinic, target: DeliveryTarget): Promise<boolean> {
    const now = Date.now();
    const circuit = this.outbox.circuit();
    const head = this.outbox.oldestHead();
    if (head === null || (circuit.nextProbeAt !== null && circuit.nextProbeAt > now)) {
      return false;
    }
    log.info("circuit open, sending a probe", { clinic_id: clinic.id, event_id: head.event_id, consecutive_failures: circuit.consecutiveFailures });
    await this.send(clinic, target, head);
    if (isOpen(this.outbox.circuit())) {
      return false;
    }
    // The HIS is back: the backlog need not wait out each event's own backoff.
    log.info("circuit closed, draining the backlog", { clinic_id: clinic.id });
    this.outbox.makePendingDue(Date.now());
    return true;
  }

  /**
   * Runs up to `concurrency` senders. Each takes the oldest due head whose
   * ordering key is not in flight, and starts are spaced to keep under the
   * clinic's rate per second.
   */
  private async sendDue(clinic: Clinic, target: DeliveryTarget): Promise<void> {
    const deadline = Date.now() + ALARM_BUDGET_MS;
    const inFlight = new Set<string>();
    const spacingMs = 1000 / Math.max(1, clinic.ratePerSecond);
    let nextStartAt = Date.now();
    let sent = 0;

    // Due heads are read in batches rather than one query per send, because
    // the heads query reads many rows when the backlog is long. The batch is
    // dropped whenever a replay may have put an earlier event back in front.
    let dueBatch: OutboxRow[] = [];
    let batchVersion = this.headsVersion;
    const nextHead = (): OutboxRow | undefined => {
      if (batchVersion !== this.headsVersion) {
        dueBatch = [];
        batchVersion = this.headsVersion;
      }
      if (dueBatch.length === 0) {
        dueBatch = this.outbox.dueHeads(Date.now(), inFlight, DUE_HEADS_BATCH);
      }
      return dueBatch.shift();
    };

    const sender = async () => {
      while (Date.now() < deadline && !isOpen(this.outbox.circuit()) && this.outbox.getMeta("paused") === null) {
        const head = nextHead();
        if (!head) {
          return;
        }
        inFlight.add(head.ordering_key);
        const startAt = Math.max(Date.now(), nextStartAt);
        nextStartAt = startAt + spacingMs;
        try {
          if (startAt > Date.now()) {
            await scheduler.wait(startAt - Date.now());
          }
          await this.send(clinic, target, head);
        } finally {
          inFlight.delete(head.ordering_key);
        }
        sent += 1;
        if (sent % MIRROR_BATCH_ROWS === 0) {
          await this.mirror();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, clinic.concurrency) }, sender));
  }

  /** Makes one delivery attempt and records its outcome. */
  private async send(clinic: Clinic, target: DeliveryTarget, head: OutboxRow): Promise<void> {
    const startedAt = Date.now();
    const result = await attemptDelivery(target, head.event_id, { body: head.body, contentType: head.content_type }, startedAt);
    this.record(clinic, head, result, startedAt);
  }

  private record(clinic: Clinic, head: OutboxRow, result: AttemptResult, startedAt: number): void {
    const now = Date.now();
    const outcome = classifyAttempt(result);
    const attempt = head.attempts + 1;
    const fields = { clinic_id: clinic.id, event_id: head.event_id, attempt, status: result.status, duration_ms: result.durationMs };

    if (outcome.kind === "delivered") {
      this.outbox.recordAttempt(head, result, "delivered", "delivered", startedAt, null);
      this.outbox.setCircuit(CLOSED_CIRCUIT);
      log.info("event delivered", fields);
      recordMetric(this.env, "delivered", clinic.id, head.event_type, now - head.received_at);
      return;
    }
    if (outcome.kind === "reject") {
      this.outbox.recordAttempt(head, result, "dead", "reject", startedAt, null);
      log.error("event dead-lettered: the HIS rejected it", fields);
      recordMetric(this.env, "dead_lettered", clinic.id, head.event_type);
      return;
    }

    const circuit = afterFailure(this.outbox.circuit(), now, outcome.retryAfterMs);
    this.outbox.setCircuit(circuit);
    const budget = { maxAttempts: clinic.maxAttempts, maxAgeMs: clinic.maxAgeSeconds * 1000 };
    if (isRetryBudgetSpent(budget, attempt - head.budget_attempt_offset, head.budget_started_at, now)) {
      this.outbox.recordAttempt(head, result, "dead", "dead", startedAt, null);
      log.error("event dead-lettered: retry budget spent", fields);
      recordMetric(this.env, "dead_lettered", clinic.id, head.event_type);
      return;
    }
    const delay = Math.max(retryDelayMs(attempt - head.budget_attempt_offset), outcome.retryAfterMs ?? 0);
    this.outbox.recordAttempt(head, result, "retrying", "retry", startedAt, now + delay);
    log.warn("delivery failed, will retry", { ...fields, delay_ms: delay, circuit_failures: circuit.consecutiveFailures });
    recordMetric(this.env, "retried", clinic.id, head.event_type);
  }

  /** Copies changed states and attempts to D1; returns false when that failed. */
  private async mirror(): Promise<boolean> {
    const clinicId = this.outbox.getMeta("clinic_id") ?? "";
    for (;;) {
      const rows = this.outbox.rowsToMirror(MIRROR_BATCH_ROWS);
      const attempts = this.outbox.attemptsToMirror(MIRROR_BATCH_ROWS);
      if (rows.length === 0 && attempts.length === 0) {
        return true;
      }
      try {
        await mirrorToD1(openDatabase(this.env.DB), clinicId, rows, attempts);
      } catch (error) {
        log.error("delivery state copy to D1 failed", { clinic_id: clinicId, rows: rows.length, error: describeError(error) });
        return false;
      }
      this.outbox.markMirrored(rows, attempts);
    }
  }

  private async scheduleNextAlarm(retryMirrorSoon: boolean): Promise<void> {
    const now = Date.now();
    if (this.outbox.getMeta("paused") !== null) {
      return;
    }
    const candidates: number[] = [];
    const circuit = this.outbox.circuit();
    const nextDue = this.outbox.nextDueAt();
    if (nextDue !== null) {
      candidates.push(isOpen(circuit) ? (circuit.nextProbeAt ?? now) : nextDue);
    }
    const postponedUntil = Number(this.outbox.getMeta("postponed_until") ?? "NaN");
    if (Number.isFinite(postponedUntil) && candidates.length > 0) {
      candidates[0] = Math.max(candidates[0]!, postponedUntil);
    }
    if (retryMirrorSoon) {
      candidates.push(now + MIRROR_RETRY_DELAY_MS);
    }
    if (candidates.length > 0) {
      await this.ctx.storage.setAlarm(Math.max(now, Math.min(...candidates)));
    }
  }

  private async armAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) {
      await this.ctx.storage.setAlarm(at);
    }
  }
}

/** Describes an outbox row for the admin API, without the request body. */
function describeRow(row: OutboxRow) {
  return {
    eventId: row.event_id,
    type: row.event_type,
    orderingKey: row.ordering_key,
    state: row.state,
    attempts: row.attempts,
    receivedAt: isoOrNull(row.received_at),
    lastAttemptAt: isoOrNull(row.last_attempt_at),
    lastStatus: row.last_status,
    lastError: row.last_error,
    nextAttemptAt: row.state === "queued" || row.state === "retrying" ? isoOrNull(row.next_attempt_at) : null,
    deliveredAt: isoOrNull(row.delivered_at),
  };
}

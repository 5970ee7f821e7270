import { and, eq, isNull, lt, sql } from "drizzle-orm";
import { listClinics } from "./clinics";
import type { Database } from "./db/client";
import { clients, deliveryAttempts, events, quarantine } from "./db/schema";
import { describeError } from "./http/problem";
import { log } from "./log";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Counts of rows one clean-up run redacted, per table; the rows themselves stay, so counts stay. */
export interface RetentionReport {
  events: number;
  quarantine: number;
  attempts: number;
  clients: number;
}

/**
 * Removes raw payloads and personal fields older than each clinic's
 * retention (default 30 days): an event keeps its id, type, subject, times
 * and delivery state but loses its raw payload and CloudEvent data; a
 * quarantined request loses its body and headers; a delivery attempt loses
 * the HIS's response text; a client loses name, phone, email and data.
 * Run daily by the cron trigger.
 *
 * TODO: events still waiting in a clinic's delivery queue (dead letters, pull
 * events) keep their bodies in the queue's own storage until replayed,
 * discarded or acknowledged; should they be redacted there too?
 */
export async function applyRetention(db: Database, now: number): Promise<RetentionReport> {
  const report: RetentionReport = { events: 0, quarantine: 0, attempts: 0, clients: 0 };
  for (const clinic of await listClinics(db)) {
    const cutoff = now - clinic.retentionDays * DAY_MS;
    try {
      const redactedEvents = await db
        .update(events)
        .set({
          payloadRaw: "",
          cloudEvent: sql`json_object('id', ${events.id}, 'type', ${events.type}, 'subject', ${events.subject}, 'redacted', json('true'))`,
          redactedAt: now,
        })
        .where(and(eq(events.clinicId, clinic.id), lt(events.receivedAt, cutoff), isNull(events.redactedAt)))
        .returning({ id: events.id });
      const redactedQuarantine = await db
        .update(quarantine)
        .set({ body: "", headers: {}, bodyEncoding: "utf-8" })
        .where(and(eq(quarantine.clinicId, clinic.id), lt(quarantine.receivedAt, cutoff), sql`${quarantine.body} != ''`))
        .returning({ id: quarantine.id });
      const redactedAttempts = await db
        .update(deliveryAttempts)
        .set({ error: null })
        .where(and(eq(deliveryAttempts.clinicId, clinic.id), lt(deliveryAttempts.startedAt, cutoff), sql`${deliveryAttempts.error} IS NOT NULL`))
        .returning({ id: deliveryAttempts.eventId });
      const redactedClients = await db
        .update(clients)
        .set({ name: null, phoneE164: null, phoneRaw: null, email: null, data: null })
        .where(and(eq(clients.clinicId, clinic.id), lt(sql`COALESCE(${clients.sourceUpdatedAt}, 0)`, cutoff), sql`(${clients.name} IS NOT NULL OR ${clients.data} IS NOT NULL)`))
        .returning({ id: clients.id });

      report.events += redactedEvents.length;
      report.quarantine += redactedQuarantine.length;
      report.attempts += redactedAttempts.length;
      report.clients += redactedClients.length;
    } catch (error) {
      log.error("retention clean-up failed for a clinic", { clinic_id: clinic.id, error: describeError(error) });
    }
  }
  log.info("retention clean-up done", { events: report.events, quarantine: report.quarantine, attempts: report.attempts, clients: report.clients });
  return report;
}

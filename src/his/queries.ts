import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { appointments, appointmentVersions, visits, visitStates } from "../db/schema";
import { isoOrNull, LIVE_QUEUE_STATES } from "../normalize/fields";
import { type DurationSummary, summarizeDurations } from "./figures";

type VisitRow = typeof visits.$inferSelect;

/** Live queue states: the patient is still waiting for, or being given, the service. */
const LIVE_STATES = [1, 2, 3, 4];

/** When a visit joined the queue: the first "In Queue" state, else its creation. */
const queuedTime = (visit: VisitRow) => visit.queuedAt ?? visit.chupCreatedAt;

/** Describes a visit for the read API: ids, state and the time of each state. */
export function describeVisit(visit: VisitRow) {
  return {
    visitId: visit.id,
    clientId: visit.clientId,
    appointmentId: visit.appointmentId,
    service: { id: visit.serviceId, name: visit.serviceName },
    staff: { id: visit.staffId, name: visit.staffName },
    state: { code: visit.stateCode, name: visit.stateName },
    date: visit.visitDate,
    deleted: visit.deletedAt !== null,
    times: {
      created: isoOrNull(visit.chupCreatedAt),
      queued: isoOrNull(visit.queuedAt),
      alerted: isoOrNull(visit.alertedAt),
      arrived: isoOrNull(visit.arrivedAt),
      serving: isoOrNull(visit.servingAt),
      served: isoOrNull(visit.servedAt),
      cancelled: isoOrNull(visit.cancelledAt),
      noShow: isoOrNull(visit.noShowAt),
    },
    updatedAt: isoOrNull(visit.sourceUpdatedAt),
  };
}

async function visitsOn(db: Database, clinicId: string, date: string): Promise<VisitRow[]> {
  return db
    .select()
    .from(visits)
    .where(and(eq(visits.clinicId, clinicId), eq(visits.visitDate, date), isNull(visits.deletedAt)))
    .all();
}

/** Returns the visits still in the queue on a date, grouped by service, oldest first. */
export async function liveQueue(db: Database, clinicId: string, date: string) {
  const rows = (await visitsOn(db, clinicId, date)).filter((visit) => visit.stateCode !== null && LIVE_STATES.includes(visit.stateCode));
  rows.sort((a, b) => (queuedTime(a) ?? 0) - (queuedTime(b) ?? 0) || a.id.localeCompare(b.id));

  const byService = new Map<string, { serviceId: string | null; serviceName: string | null; visits: ReturnType<typeof describeVisit>[] }>();
  for (const visit of rows) {
    const key = visit.serviceId ?? "";
    const group = byService.get(key) ?? { serviceId: visit.serviceId, serviceName: visit.serviceName, visits: [] };
    group.visits.push(describeVisit(visit));
    byService.set(key, group);
  }
  const services = [...byService.values()].map((group) => ({
    ...group,
    counts: Object.fromEntries(LIVE_STATES.map((code) => [LIVE_QUEUE_STATES[code]!.slug, group.visits.filter((visit) => visit.state.code === code).length])),
  }));
  services.sort((a, b) => (a.serviceName ?? "").localeCompare(b.serviceName ?? ""));
  return { date, waiting: rows.length, services };
}

/** Returns one visit with every state it was seen in, in source order. */
export async function visitWithHistory(db: Database, clinicId: string, visitId: string) {
  const visit = await db
    .select()
    .from(visits)
    .where(and(eq(visits.clinicId, clinicId), eq(visits.id, visitId)))
    .get();
  if (!visit) {
    return null;
  }
  const history = await db
    .select({ stateCode: visitStates.stateCode, stateName: visitStates.stateName, serviceId: visitStates.serviceId, at: visitStates.at, eventId: visitStates.eventId })
    .from(visitStates)
    .where(and(eq(visitStates.clinicId, clinicId), eq(visitStates.visitId, visitId)))
    .orderBy(asc(visitStates.at), asc(visitStates.eventId))
    .all();
  return {
    ...describeVisit(visit),
    history: history.map((entry) => ({
      eventId: entry.eventId,
      state: entry.stateCode === null ? null : { code: entry.stateCode, name: entry.stateName },
      serviceId: entry.serviceId,
      at: isoOrNull(entry.at),
    })),
  };
}

/** Returns the appointments booked for a date, each with its reschedule history. */
export async function appointmentsOn(db: Database, clinicId: string, date: string) {
  const rows = await db
    .select()
    .from(appointments)
    .where(and(eq(appointments.clinicId, clinicId), eq(appointments.date, date), isNull(appointments.deletedAt)))
    .orderBy(asc(appointments.startsAt), asc(appointments.id))
    .all();
  const versions = rows.length === 0 ? [] : await db
    .select()
    .from(appointmentVersions)
    .where(and(eq(appointmentVersions.clinicId, clinicId), inArray(appointmentVersions.appointmentId, rows.map((row) => row.id))))
    .orderBy(asc(appointmentVersions.orderKey))
    .all();

  return {
    date,
    appointments: rows.map((row) => ({
      appointmentId: row.id,
      clientId: row.clientId,
      service: { id: row.serviceId, name: row.serviceName },
      staff: { id: row.staffId, name: row.staffName },
      state: { code: row.stateCode, name: row.stateName },
      date: row.date,
      time: row.time,
      startsAt: isoOrNull(row.startsAt),
      endsAt: isoOrNull(row.endsAt),
      original: { date: row.originalDate, time: row.originalTime },
      reschedules: rescheduleHistory(row, versions.filter((version) => version.appointmentId === row.id)),
    })),
  };
}

/**
 * Derives the reschedules from the appointment's versions in source order:
 * each change of date or time is one, starting from the original booking.
 */
function rescheduleHistory(row: typeof appointments.$inferSelect, versions: (typeof appointmentVersions.$inferSelect)[]) {
  const reschedules = [];
  let current = { date: row.originalDate ?? versions[0]?.date ?? null, time: row.originalTime ?? versions[0]?.time ?? null };
  for (const version of versions) {
    if (version.date === current.date && version.time === current.time) {
      continue;
    }
    const to = { date: version.date, time: version.time };
    reschedules.push({ from: current, to, rescheduleState: version.rescheduleState, rescheduledBy: { code: version.rescheduledBy, name: version.rescheduledByName } });
    current = to;
  }
  return reschedules;
}

/** Returns one patient's visits on a date in the order they joined each queue. */
export async function patientJourney(db: Database, clinicId: string, clientId: string, date: string) {
  const rows = await db
    .select()
    .from(visits)
    .where(and(eq(visits.clinicId, clinicId), eq(visits.clientId, clientId), eq(visits.visitDate, date), isNull(visits.deletedAt)))
    .all();
  rows.sort((a, b) => (queuedTime(a) ?? 0) - (queuedTime(b) ?? 0) || a.id.localeCompare(b.id));
  return { clientId, date, visits: rows.map(describeVisit) };
}

export interface ServiceWaitTimes {
  serviceId: string | null;
  serviceName: string | null;
  visits: number;
  queuedToServing: DurationSummary;
  servingToServed: DurationSummary;
  noShows: number;
  cancelled: number;
}

/**
 * Computes wait-time figures for a date, per service and for the clinic:
 * queued to serving (first "In Queue", else creation, to first "Serving")
 * and serving to served, over visits that reached both states; no-shows
 * and cancellations count visits whose current state is No Show or
 * Cancelled.
 */
export async function waitTimes(db: Database, clinicId: string, date: string) {
  const rows = await visitsOn(db, clinicId, date);
  const groups = new Map<string, VisitRow[]>();
  for (const visit of rows) {
    const key = visit.serviceId ?? "";
    groups.set(key, [...(groups.get(key) ?? []), visit]);
  }
  const services: ServiceWaitTimes[] = [...groups.values()].map((group) => figuresFor(group, group[0]!.serviceId, group[0]!.serviceName));
  services.sort((a, b) => (a.serviceName ?? "").localeCompare(b.serviceName ?? ""));
  return { date, services, clinic: figuresFor(rows, null, null) };
}

function figuresFor(group: VisitRow[], serviceId: string | null, serviceName: string | null): ServiceWaitTimes {
  const queuedToServing: number[] = [];
  const servingToServed: number[] = [];
  for (const visit of group) {
    const queued = queuedTime(visit);
    if (queued !== null && visit.servingAt !== null && visit.servingAt >= queued) {
      queuedToServing.push(visit.servingAt - queued);
    }
    if (visit.servingAt !== null && visit.servedAt !== null && visit.servedAt >= visit.servingAt) {
      servingToServed.push(visit.servedAt - visit.servingAt);
    }
  }
  return {
    serviceId,
    serviceName,
    visits: group.length,
    queuedToServing: summarizeDurations(queuedToServing),
    servingToServed: summarizeDurations(servingToServed),
    noShows: group.filter((visit) => visit.stateCode === 8).length,
    cancelled: group.filter((visit) => visit.stateCode === 7).length,
  };
}

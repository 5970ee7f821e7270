import { and, desc, eq, ne, or, sql } from "drizzle-orm";
import type { CountryCode } from "libphonenumber-js";
import type { Clinic } from "../clinics";
import type { Database } from "../db/client";
import { appointments, clients, services, staff, visits } from "../db/schema";
import type { ChupPayload } from "../ingest/envelope";
import type { EarlierVisit, EntitySnapshot, NormalizeContext } from "../normalize/context";
import { normalizeId } from "../normalize/fields";
import { resourceOf } from "../normalize/types";
import { localDate, parseTimestamp } from "../normalize/fields";

/**
 * Reads the stored state of the entity a payload concerns,
 * for the event type and the out-of-order flag. One or two D1 queries.
 */
export async function loadNormalizeContext(db: Database, clinic: Clinic, payload: ChupPayload, schemaBaseUrl: string): Promise<NormalizeContext> {
  const base: NormalizeContext = {
    clinicId: clinic.id,
    timezone: clinic.timezone,
    country: clinic.country as CountryCode,
    schemaBaseUrl,
    previous: null,
    earlierVisit: null,
  };
  const found = resourceOf(payload.event);
  const data = typeof payload.data === "object" && payload.data !== null ? (payload.data as Record<string, unknown>) : {};
  const id = normalizeId(data.id);
  if (!found || typeof id !== "string") {
    return base;
  }

  switch (found.resource) {
    case "visit": {
      const row = await db
        .select({ stateCode: visits.stateCode, sourceUpdatedAt: visits.sourceUpdatedAt })
        .from(visits)
        .where(and(eq(visits.clinicId, clinic.id), eq(visits.id, id)))
        .get();
      const earlierVisit = found.action === "created" ? await findEarlierVisit(db, clinic, id, data) : null;
      return { ...base, previous: row ? { ...row, date: null, time: null } : null, earlierVisit };
    }
    case "appointment": {
      const row = await db
        .select({ stateCode: appointments.stateCode, sourceUpdatedAt: appointments.sourceUpdatedAt, date: appointments.date, time: appointments.time })
        .from(appointments)
        .where(and(eq(appointments.clinicId, clinic.id), eq(appointments.id, id)))
        .get();
      return { ...base, previous: row ?? null };
    }
    default: {
      const tables = { client: clients, service: services, staff } as const;
      const table = tables[found.resource];
      const row = await db
        .select({ sourceUpdatedAt: table.sourceUpdatedAt })
        .from(table)
        .where(and(eq(table.clinicId, clinic.id), eq(table.id, id)))
        .get();
      return { ...base, previous: row ? ({ stateCode: null, sourceUpdatedAt: row.sourceUpdatedAt, date: null, time: null } satisfies EntitySnapshot) : null };
    }
  }
}

/**
 * Finds the patient's latest visit at another service for the same
 * appointment, or on the same day, so a new queue entry can be reported
 * as a move between services.
 */
async function findEarlierVisit(db: Database, clinic: Clinic, visitId: string, data: Record<string, unknown>): Promise<EarlierVisit | null> {
  const appointmentId = normalizeId(data.appointment_id);
  const clientId = normalizeId(data.registered_client_id);
  const serviceId = normalizeId(data.service_id);
  const createdAt = parseTimestamp(data.created_at, clinic.timezone);
  const visitDate = createdAt === null ? null : localDate(createdAt, clinic.timezone);

  const sameAppointment = typeof appointmentId === "string" ? eq(visits.appointmentId, appointmentId) : undefined;
  const sameDay = typeof clientId === "string" && visitDate !== null ? and(eq(visits.clientId, clientId), eq(visits.visitDate, visitDate)) : undefined;
  const samePatient = or(sameAppointment, sameDay);
  if (!samePatient) {
    return null;
  }

  const row = await db
    .select({ visitId: visits.id, serviceId: visits.serviceId, serviceName: visits.serviceName })
    .from(visits)
    .where(
      and(
        eq(visits.clinicId, clinic.id),
        ne(visits.id, visitId),
        samePatient,
        typeof serviceId === "string" ? sql`${visits.serviceId} IS NOT ${serviceId}` : undefined,
        createdAt === null ? undefined : sql`COALESCE(${visits.chupCreatedAt}, 0) <= ${createdAt}`,
      ),
    )
    .orderBy(desc(sql`COALESCE(${visits.queuedAt}, ${visits.chupCreatedAt})`))
    .get();
  return row ?? null;
}

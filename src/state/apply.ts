import { and, eq, getTableColumns, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/client";
import { appointments, appointmentVersions, clients, services, staff, visits, visitStates } from "../db/schema";
import type { NormalizedEvent } from "../normalize/cloudevent";
import { isRecord } from "../normalize/data";
import { localDate, parseTimestamp } from "../normalize/fields";
import { orderKey } from "./order";

/** The visits column that records when each live queue state was first seen. */
const STATE_TIME_COLUMNS = {
  1: "queuedAt",
  2: "alertedAt",
  3: "arrivedAt",
  4: "servingAt",
  5: "servedAt",
  7: "cancelledAt",
  8: "noShowAt",
} as const;

type StatementList = BatchItem<"sqlite">[];

interface ApplyInput {
  clinicId: string;
  timezone: string;
  eventId: string;
  /** The webhook's own `timestamp`, in UTC milliseconds. */
  webhookTimestamp: number | null;
  normalized: NormalizedEvent;
}

/**
 * Returns the statements that apply one event to the clinic state. They are
 * meant for the same D1 batch as the event insert, so state and event are
 * written together or not at all. Each statement is idempotent and the
 * replacement is decided by order key, so the result does not depend on the
 * order events arrive in.
 */
export function stateStatements(db: Database, input: ApplyInput): StatementList {
  const { normalized } = input;
  const data = normalized.cloudEvent.data;
  const entityId = normalized.entityId;
  if (entityId === null || normalized.resource === null) {
    return [];
  }

  const sourceUpdatedAt = parseTimestamp(data.updated_at);
  const key = orderKey(sourceUpdatedAt, input.webhookTimestamp, input.eventId);
  const deleted = normalized.cloudEvent.chupevent.endsWith("_deleted");
  const common = {
    clinicId: input.clinicId,
    id: entityId,
    sourceUpdatedAt,
    orderKey: key,
    deletedAt: deleted ? (sourceUpdatedAt ?? input.webhookTimestamp ?? 0) : null,
    lastEventId: input.eventId,
  };

  switch (normalized.resource) {
    case "visit":
      return visitStatements(db, input, common, data, deleted);
    case "appointment":
      return appointmentStatements(db, input, common, data, deleted);
    case "client":
      return [
        upsertNewer(db, clients, [clients.clinicId, clients.id], {
          ...common,
          name: firstString(data, ["name", "full_name", "client_name"]),
          phoneE164: firstString(data, ["phone", "client_phone", "mobile_phone"]),
          phoneRaw: firstString(data, ["phone_raw", "client_phone_raw", "mobile_phone_raw", "phone", "client_phone"]),
          email: firstString(data, ["email", "client_email"]),
          data,
        }, deleted),
      ];
    case "service":
      return [upsertNewer(db, services, [services.clinicId, services.id], { ...common, name: firstString(data, ["name", "service_name"]), data }, deleted)];
    case "staff":
      return [upsertNewer(db, staff, [staff.clinicId, staff.id], { ...common, name: firstString(data, ["name", "staff_name"]), data }, deleted)];
  }
}

function visitStatements(db: Database, input: ApplyInput, common: EntityCommon, data: Record<string, unknown>, deleted: boolean): StatementList {
  const state = isRecord(data.state) ? data.state : {};
  const stateCode = typeof state.code === "number" ? state.code : null;
  const createdAt = parseTimestamp(data.created_at);
  const statements: StatementList = [
    upsertNewer(db, visits, [visits.clinicId, visits.id], {
      ...common,
      appointmentId: stringOrNull(data.appointment_id),
      clientId: stringOrNull(data.registered_client_id),
      serviceId: stringOrNull(data.service_id),
      serviceName: stringOrNull(data.service_name),
      staffId: stringOrNull(data.staff_id),
      staffName: stringOrNull(data.staff_name),
      stateCode,
      stateName: stringOrNull(state.name),
      visitDate: createdAt === null ? null : localDate(createdAt, input.timezone),
      chupCreatedAt: createdAt,
    }, deleted),
    db
      .insert(visitStates)
      .values({
        clinicId: input.clinicId,
        eventId: input.eventId,
        visitId: common.id,
        stateCode: deleted ? null : stateCode,
        stateName: deleted ? null : stringOrNull(state.name),
        serviceId: stringOrNull(data.service_id),
        at: common.sourceUpdatedAt ?? input.webhookTimestamp,
      })
      .onConflictDoNothing(),
  ];

  const column = stateCode === null ? undefined : STATE_TIME_COLUMNS[stateCode as keyof typeof STATE_TIME_COLUMNS];
  const at = common.sourceUpdatedAt;
  if (column && at !== null && !deleted) {
    // The first time a state was seen is the minimum over every event, which
    // no arrival order can change.
    statements.push(
      db
        .update(visits)
        .set({ [column]: sql`MIN(COALESCE(${visits[column]}, ${at}), ${at})` })
        .where(and(eq(visits.clinicId, input.clinicId), eq(visits.id, common.id))),
    );
  }
  return statements;
}

function appointmentStatements(db: Database, input: ApplyInput, common: EntityCommon, data: Record<string, unknown>, deleted: boolean): StatementList {
  const state = isRecord(data.state) ? data.state : {};
  const gateway = isRecord(data.gateway) ? data.gateway : {};
  const statements: StatementList = [
    upsertNewer(db, appointments, [appointments.clinicId, appointments.id], {
      ...common,
      clientId: stringOrNull(data.registered_client_id),
      serviceId: stringOrNull(data.service_id),
      serviceName: stringOrNull(data.service_name),
      staffId: stringOrNull(data.staff_id),
      staffName: stringOrNull(data.staff_name),
      date: stringOrNull(data.date),
      time: stringOrNull(data.time),
      startsAt: parseTimestamp(gateway.starts_at),
      endsAt: parseTimestamp(gateway.ends_at),
      originalDate: stringOrNull(data.original_date),
      originalTime: stringOrNull(data.original_time),
      durationMinutes: typeof data.duration === "number" ? data.duration : null,
      stateCode: typeof state.code === "number" ? state.code : null,
      stateName: stringOrNull(state.name),
      rescheduleState: typeof data.reschedule_state === "number" ? data.reschedule_state : null,
      rescheduledBy: typeof data.rescheduled_by === "number" ? data.rescheduled_by : null,
      rescheduledByName: stringOrNull(data.rescheduled_by_name),
    }, deleted),
  ];
  if (!deleted) {
    statements.push(
      db
        .insert(appointmentVersions)
        .values({
          clinicId: input.clinicId,
          eventId: input.eventId,
          appointmentId: common.id,
          orderKey: common.orderKey,
          date: stringOrNull(data.date),
          time: stringOrNull(data.time),
          rescheduleState: typeof data.reschedule_state === "number" ? data.reschedule_state : null,
          rescheduledBy: typeof data.rescheduled_by === "number" ? data.rescheduled_by : null,
          rescheduledByName: stringOrNull(data.rescheduled_by_name),
        })
        .onConflictDoNothing(),
    );
  }
  return statements;
}

interface EntityCommon {
  clinicId: string;
  id: string;
  sourceUpdatedAt: number | null;
  orderKey: string;
  deletedAt: number | null;
  lastEventId: string;
}

/**
 * Inserts a row, or replaces the stored one when the new order key is
 * greater. A delete only marks the row deleted, because Chup's delete
 * payloads may lack the fields the row already has.
 */
function upsertNewer<T extends SQLiteTable>(db: Database, table: T, target: SQLiteColumn[], row: T["$inferInsert"], deleted: boolean) {
  const columns = getTableColumns(table);
  const replaced = deleted ? ["sourceUpdatedAt", "orderKey", "deletedAt", "lastEventId"] : Object.keys(row as object).filter((name) => name !== "clinicId" && name !== "id");
  const set: Record<string, SQL> = {};
  for (const name of replaced) {
    const column = columns[name];
    if (column) {
      set[name] = sql.raw(`excluded.${column.name}`);
    }
  }
  const orderColumn = columns.orderKey as SQLiteColumn;
  return db
    .insert(table)
    .values(row)
    .onConflictDoUpdate({ target, set, setWhere: sql`excluded.order_key > ${orderColumn}` });
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function firstString(data: Record<string, unknown>, keys: string[]): string | null {
  for (const key of keys) {
    if (typeof data[key] === "string" && data[key] !== "") {
      return data[key] as string;
    }
  }
  return null;
}

import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Milliseconds since the Unix epoch, as D1 stores every timestamp of this schema. */
const epochMs = (name: string) => integer(name, { mode: "number" });

/** One row per Chup account that posts to this gateway. */
export const clinics = sqliteTable("clinics", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  timezone: text("timezone").notNull(),
  /** ISO 3166-1 alpha-2 country used to read phone numbers without a country code. */
  country: text("country").notNull().default("MY"),
  /** JSON array of one or two Chup webhook secrets; two while a rotation is under way. */
  webhookSecrets: text("webhook_secrets", { mode: "json" }).$type<string[]>().notNull(),
  /** push: the gateway POSTs to the HIS; pull: the HIS fetches from the gateway; both, during a migration. */
  deliveryMode: text("delivery_mode", { enum: ["push", "pull", "both"] }).notNull(),
  /** The HIS endpoint for push; empty for a pull-only clinic. */
  deliveryUrl: text("delivery_url").notNull(),
  /** Delivery format: CloudEvents JSON, or a FHIR R4 transaction Bundle. */
  deliveryFormat: text("delivery_format", { enum: ["cloudevents", "fhir"] }).notNull().default("cloudevents"),
  /** Standard Webhooks signing secret, "whsec_" followed by base64. */
  signingSecret: text("signing_secret").notNull(),
  /** The next signing secret during a rotation; deliveries carry a signature with each. */
  signingSecretNext: text("signing_secret_next"),
  /** Days raw payloads and personal fields are kept before the daily clean-up removes them. */
  retentionDays: integer("retention_days").notNull().default(30),
  /** Set while the clinic is disabled: its webhooks are rejected with 403 and quarantined. */
  disabledAt: epochMs("disabled_at"),
  /** After this many failed attempts an event goes to the dead letters. */
  maxAttempts: integer("max_attempts").notNull().default(200),
  /** An event still undelivered this long after it was received goes to the dead letters. */
  maxAgeSeconds: integer("max_age_seconds").notNull().default(72 * 60 * 60),
  /** Requests to the HIS in flight at once, at most. */
  concurrency: integer("concurrency").notNull().default(4),
  /** Requests to the HIS started per second, at most. */
  ratePerSecond: integer("rate_per_second").notNull().default(20),
  /** A pulled event not acknowledged within this is handed out again. */
  pullVisibilitySeconds: integer("pull_visibility_seconds").notNull().default(60),
  /** A pull event not acknowledged within this expires and waits for an operator. */
  pullRetentionSeconds: integer("pull_retention_seconds").notNull().default(7 * 24 * 60 * 60),
  createdAt: epochMs("created_at").notNull(),
  updatedAt: epochMs("updated_at").notNull(),
});

/**
 * Delivery states an event moves through, as mirrored from the clinic's
 * delivery queue. "dead" events wait in the dead letters for an operator
 * to replay or discard them. "skipped" marks an event the clinic's delivery
 * format has nothing to send for, such as a staff event for a FHIR clinic.
 */
export const DELIVERY_STATES = ["received", "queued", "retrying", "delivered", "dead", "discarded", "skipped"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * Every accepted webhook: the raw payload text Chup signed, the normalized
 * CloudEvent relayed to the HIS, and the event's delivery state.
 */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    clinicId: text("clinic_id").notNull(),
    /** Lowercase hex signature; (clinic_id, signature) is the dedupe authority. */
    signature: text("signature").notNull(),
    chupEvent: text("chup_event").notNull(),
    type: text("type").notNull(),
    subject: text("subject"),
    orderingKey: text("ordering_key").notNull(),
    receivedAt: epochMs("received_at").notNull(),
    payloadRaw: text("payload_raw").notNull(),
    cloudEvent: text("cloud_event").notNull(),
    deliveryState: text("delivery_state", { enum: DELIVERY_STATES }).notNull().default("received"),
    attempts: integer("attempts").notNull().default(0),
    lastAttemptAt: epochMs("last_attempt_at"),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    nextAttemptAt: epochMs("next_attempt_at"),
    deliveredAt: epochMs("delivered_at"),
    /** When the retention clean-up removed the raw payload and the personal fields. */
    redactedAt: epochMs("redacted_at"),
  },
  (table) => [
    uniqueIndex("events_clinic_signature_unique").on(table.clinicId, table.signature),
    index("events_clinic_received_idx").on(table.clinicId, table.receivedAt),
    index("events_clinic_state_idx").on(table.clinicId, table.deliveryState),
  ],
);

/** Every attempt to deliver an event to the HIS, as copied from the clinic's delivery queue. */
export const deliveryAttempts = sqliteTable(
  "delivery_attempts",
  {
    eventId: text("event_id").notNull(),
    attempt: integer("attempt").notNull(),
    clinicId: text("clinic_id").notNull(),
    startedAt: epochMs("started_at").notNull(),
    /** HTTP status of the HIS response; null when none came. */
    status: integer("status"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    /** Outcome of the attempt: delivered, retry, reject, or dead when the retry budget ran out. */
    outcome: text("outcome").notNull(),
  },
  (table) => [primaryKey({ columns: [table.eventId, table.attempt] })],
);

/** Requests the gateway rejected, kept whole so an operator can see why and recover them. */
export const quarantine = sqliteTable(
  "quarantine",
  {
    id: text("id").primaryKey(),
    clinicId: text("clinic_id").notNull(),
    receivedAt: epochMs("received_at").notNull(),
    status: integer("status").notNull(),
    reason: text("reason").notNull(),
    detail: text("detail").notNull(),
    /** JSON object of the request headers that help diagnose a rejection. */
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
    /** The body as received: UTF-8 text, or base64 when the bytes are not valid UTF-8. */
    body: text("body").notNull(),
    bodyEncoding: text("body_encoding", { enum: ["utf-8", "base64"] }).notNull(),
    /** True when only the first bytes of an over-size body were kept. */
    bodyTruncated: integer("body_truncated", { mode: "boolean" }).notNull().default(false),
    /** When an operator re-ingested the request and it was accepted, and the event it became. */
    reingestedAt: epochMs("reingested_at"),
    reingestedEventId: text("reingested_event_id"),
  },
  (table) => [index("quarantine_clinic_received_idx").on(table.clinicId, table.receivedAt)],
);

/** Bearer tokens a HIS uses on the read API; only the SHA-256 of each token is stored. */
export const hisTokens = sqliteTable(
  "his_tokens",
  {
    id: text("id").primaryKey(),
    clinicId: text("clinic_id").notNull(),
    name: text("name").notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: epochMs("created_at").notNull(),
    revokedAt: epochMs("revoked_at"),
  },
  (table) => [uniqueIndex("his_tokens_hash_unique").on(table.tokenHash), index("his_tokens_clinic_idx").on(table.clinicId)],
);


/*
 * Clinic state. Every entity row keeps the source's updated_at and an
 * `order_key` that sorts events totally: updated_at, then the webhook's own
 * timestamp, then the event id. An event replaces a row only when its key
 * is greater, so events applied in any order leave the same state, a stale
 * event never moves a row backwards and a repeated event changes nothing.
 */

/** Columns every entity table of the clinic state shares. */
const entityColumns = () => ({
  clinicId: text("clinic_id").notNull(),
  id: text("id").notNull(),
  sourceUpdatedAt: epochMs("source_updated_at"),
  orderKey: text("order_key").notNull(),
  deletedAt: epochMs("deleted_at"),
  lastEventId: text("last_event_id").notNull(),
});

/** One live queue entry: one patient's visit to one service. */
export const visits = sqliteTable(
  "visits",
  {
    ...entityColumns(),
    appointmentId: text("appointment_id"),
    clientId: text("client_id"),
    serviceId: text("service_id"),
    serviceName: text("service_name"),
    staffId: text("staff_id"),
    staffName: text("staff_name"),
    stateCode: integer("state_code"),
    stateName: text("state_name"),
    /** The clinic's local date of the visit's creation, "YYYY-MM-DD". */
    visitDate: text("visit_date"),
    chupCreatedAt: epochMs("chup_created_at"),
    /** First time (source updated_at) each state was seen; the minimum over all events. */
    queuedAt: epochMs("queued_at"),
    alertedAt: epochMs("alerted_at"),
    arrivedAt: epochMs("arrived_at"),
    servingAt: epochMs("serving_at"),
    servedAt: epochMs("served_at"),
    cancelledAt: epochMs("cancelled_at"),
    noShowAt: epochMs("no_show_at"),
  },
  (table) => [
    primaryKey({ columns: [table.clinicId, table.id] }),
    index("visits_clinic_date_idx").on(table.clinicId, table.visitDate),
    index("visits_clinic_client_idx").on(table.clinicId, table.clientId, table.visitDate),
    index("visits_clinic_appointment_idx").on(table.clinicId, table.appointmentId),
  ],
);

/** Every state a visit was seen in, one row per event: the visit's history. */
export const visitStates = sqliteTable(
  "visit_states",
  {
    clinicId: text("clinic_id").notNull(),
    eventId: text("event_id").notNull(),
    visitId: text("visit_id").notNull(),
    stateCode: integer("state_code"),
    stateName: text("state_name"),
    serviceId: text("service_id"),
    at: epochMs("at"),
  },
  (table) => [primaryKey({ columns: [table.clinicId, table.eventId] }), index("visit_states_visit_idx").on(table.clinicId, table.visitId)],
);

export const appointments = sqliteTable(
  "appointments",
  {
    ...entityColumns(),
    clientId: text("client_id"),
    serviceId: text("service_id"),
    serviceName: text("service_name"),
    staffId: text("staff_id"),
    staffName: text("staff_name"),
    date: text("date"),
    time: text("time"),
    startsAt: epochMs("starts_at"),
    endsAt: epochMs("ends_at"),
    originalDate: text("original_date"),
    originalTime: text("original_time"),
    durationMinutes: integer("duration_minutes"),
    stateCode: integer("state_code"),
    stateName: text("state_name"),
    rescheduleState: integer("reschedule_state"),
    rescheduledBy: integer("rescheduled_by"),
    rescheduledByName: text("rescheduled_by_name"),
  },
  (table) => [primaryKey({ columns: [table.clinicId, table.id] }), index("appointments_clinic_date_idx").on(table.clinicId, table.date)],
);

/**
 * Every date and time an appointment was seen with, one row per event. The
 * reschedule history is these versions in source order, kept wherever the
 * date or time changed.
 */
export const appointmentVersions = sqliteTable(
  "appointment_versions",
  {
    clinicId: text("clinic_id").notNull(),
    eventId: text("event_id").notNull(),
    appointmentId: text("appointment_id").notNull(),
    orderKey: text("order_key").notNull(),
    date: text("date"),
    time: text("time"),
    rescheduleState: integer("reschedule_state"),
    rescheduledBy: integer("rescheduled_by"),
    rescheduledByName: text("rescheduled_by_name"),
  },
  (table) => [primaryKey({ columns: [table.clinicId, table.eventId] }), index("appointment_versions_idx").on(table.clinicId, table.appointmentId)],
);

/** Patients, services and staff: a name, the latest data as JSON, and for clients the phone. */
export const clients = sqliteTable(
  "clients",
  {
    ...entityColumns(),
    name: text("name"),
    phoneE164: text("phone_e164"),
    phoneRaw: text("phone_raw"),
    email: text("email"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (table) => [primaryKey({ columns: [table.clinicId, table.id] })],
);

export const services = sqliteTable(
  "services",
  {
    ...entityColumns(),
    name: text("name"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (table) => [primaryKey({ columns: [table.clinicId, table.id] })],
);

export const staff = sqliteTable(
  "staff",
  {
    ...entityColumns(),
    name: text("name"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (table) => [primaryKey({ columns: [table.clinicId, table.id] })],
);

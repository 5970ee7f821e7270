import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Milliseconds since the Unix epoch, as D1 stores every timestamp of this schema. */
const epochMs = (name: string) => integer(name, { mode: "number" });

/** One row per Chup account that posts to this gateway. */
export const clinics = sqliteTable("clinics", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  timezone: text("timezone").notNull(),
  /** JSON array of one or two Chup webhook secrets; two while a rotation is under way. */
  webhookSecrets: text("webhook_secrets", { mode: "json" }).$type<string[]>().notNull(),
  deliveryMode: text("delivery_mode", { enum: ["push"] }).notNull(),
  deliveryUrl: text("delivery_url").notNull(),
  /** Standard Webhooks signing secret, "whsec_" followed by base64. */
  signingSecret: text("signing_secret").notNull(),
  createdAt: epochMs("created_at").notNull(),
  updatedAt: epochMs("updated_at").notNull(),
});

/** Delivery states an event moves through, as mirrored from the clinic's delivery queue. */
export const DELIVERY_STATES = ["received", "queued", "retrying", "delivered", "dead"] as const;
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
  },
  (table) => [
    uniqueIndex("events_clinic_signature_unique").on(table.clinicId, table.signature),
    index("events_clinic_received_idx").on(table.clinicId, table.receivedAt),
    index("events_clinic_state_idx").on(table.clinicId, table.deliveryState),
  ],
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
  },
  (table) => [index("quarantine_clinic_received_idx").on(table.clinicId, table.receivedAt)],
);


import { and, eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "./db/client";
import { events, type DeliveryState } from "./db/schema";
import type { NormalizedEvent } from "./normalize/cloudevent";

export type StoredEvent = typeof events.$inferSelect;

export interface NewEvent {
  eventId: string;
  clinicId: string;
  signature: string;
  chupEvent: string;
  payloadText: string;
  normalized: NormalizedEvent;
  receivedAt: number;
}

/**
 * Inserts an accepted event in state "received", in one D1 batch with the
 * statements that apply it to the clinic state. Returns false when the
 * (clinic, signature) pair is already stored: the webhook is a duplicate.
 * The state statements are idempotent, so running them again for a
 * duplicate changes nothing.
 */
export async function storeEvent(db: Database, event: NewEvent, stateStatements: BatchItem<"sqlite">[]): Promise<boolean> {
  const { cloudEvent, orderingKey } = event.normalized;
  const insert = db
    .insert(events)
    .values({
      id: event.eventId,
      clinicId: event.clinicId,
      signature: event.signature.toLowerCase(),
      chupEvent: event.chupEvent,
      type: cloudEvent.type,
      subject: cloudEvent.subject ?? null,
      orderingKey,
      receivedAt: event.receivedAt,
      payloadRaw: event.payloadText,
      cloudEvent: JSON.stringify(cloudEvent),
    })
    .onConflictDoNothing()
    .returning({ id: events.id });
  const [inserted] = await db.batch([insert, ...stateStatements]);
  return inserted.length > 0;
}

export async function getEvent(db: Database, eventId: string): Promise<StoredEvent | undefined> {
  return db.select().from(events).where(eq(events.id, eventId)).get();
}

/**
 * Moves an event from "received" to "queued" once its delivery queue
 * contains it. The state condition keeps a fast delivery that already wrote
 * "delivered" from being moved back.
 */
export async function markQueued(db: Database, eventId: string): Promise<void> {
  await db
    .update(events)
    .set({ deliveryState: "queued" satisfies DeliveryState })
    .where(and(eq(events.id, eventId), eq(events.deliveryState, "received")));
}

/** Marks a received event that its clinic's delivery format has nothing to send for. */
export async function markSkipped(db: Database, eventId: string): Promise<void> {
  await db
    .update(events)
    .set({ deliveryState: "skipped" satisfies DeliveryState })
    .where(and(eq(events.id, eventId), eq(events.deliveryState, "received")));
}

import { and, eq } from "drizzle-orm";
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
 * Inserts an accepted event in state "received". Returns false when the
 * (clinic, signature) pair is already stored: the webhook is a duplicate.
 */
export async function insertEvent(db: Database, event: NewEvent): Promise<boolean> {
  const { cloudEvent, orderingKey } = event.normalized;
  const inserted = await db
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

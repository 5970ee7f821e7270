import { eq } from "drizzle-orm";
import type { Database } from "./db/client";
import { clinics } from "./db/schema";

export type Clinic = typeof clinics.$inferSelect;

/** The clinic settings an operator sends with PUT /admin/v1/clinics/{clinicId}. */
export interface ClinicSettings {
  name: string;
  timezone: string;
  webhookSecrets: string[];
  delivery: { mode: "push"; url: string; signingSecret: string };
}

export async function getClinic(db: Database, clinicId: string): Promise<Clinic | undefined> {
  return db.select().from(clinics).where(eq(clinics.id, clinicId)).get();
}

/** Creates or replaces a clinic; returns true when the clinic is new. */
export async function putClinic(db: Database, clinicId: string, settings: ClinicSettings, now: number): Promise<boolean> {
  const values = {
    name: settings.name,
    timezone: settings.timezone,
    webhookSecrets: settings.webhookSecrets,
    deliveryMode: settings.delivery.mode,
    deliveryUrl: settings.delivery.url,
    signingSecret: settings.delivery.signingSecret,
    updatedAt: now,
  };
  const existing = await getClinic(db, clinicId);
  await db
    .insert(clinics)
    .values({ id: clinicId, createdAt: now, ...values })
    .onConflictDoUpdate({ target: clinics.id, set: values });
  return existing === undefined;
}

/** Describes the clinic for the admin API, leaving out every secret. */
export function describeClinic(clinic: Clinic) {
  return {
    id: clinic.id,
    name: clinic.name,
    timezone: clinic.timezone,
    webhookSecretCount: clinic.webhookSecrets.length,
    delivery: { mode: clinic.deliveryMode, url: clinic.deliveryUrl },
    createdAt: new Date(clinic.createdAt).toISOString(),
    updatedAt: new Date(clinic.updatedAt).toISOString(),
  };
}

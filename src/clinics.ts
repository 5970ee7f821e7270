import { eq } from "drizzle-orm";
import type { Database } from "./db/client";
import { clinics } from "./db/schema";

export type Clinic = typeof clinics.$inferSelect;

/** The clinic settings an operator sends with PUT /admin/v1/clinics/{clinicId}. */
export interface ClinicSettings {
  name: string;
  timezone: string;
  country: string;
  webhookSecrets: string[];
  delivery: {
    mode: "push" | "pull" | "both";
    format: "cloudevents" | "fhir";
    url?: string | undefined;
    pull: { visibilityTimeoutSeconds: number; retentionDays: number };
    signingSecret: string;
    concurrency: number;
    ratePerSecond: number;
    retry: { maxAttempts: number; maxAgeHours: number };
  };
}

export async function getClinic(db: Database, clinicId: string): Promise<Clinic | undefined> {
  return db.select().from(clinics).where(eq(clinics.id, clinicId)).get();
}

/** Creates or replaces a clinic; returns true when the clinic is new. */
export async function putClinic(db: Database, clinicId: string, settings: ClinicSettings, now: number): Promise<boolean> {
  const values = {
    name: settings.name,
    timezone: settings.timezone,
    country: settings.country,
    webhookSecrets: settings.webhookSecrets,
    deliveryMode: settings.delivery.mode,
    deliveryFormat: settings.delivery.format,
    deliveryUrl: settings.delivery.url ?? "",
    pullVisibilitySeconds: settings.delivery.pull.visibilityTimeoutSeconds,
    pullRetentionSeconds: Math.round(settings.delivery.pull.retentionDays * 86_400),
    signingSecret: settings.delivery.signingSecret,
    concurrency: settings.delivery.concurrency,
    ratePerSecond: settings.delivery.ratePerSecond,
    maxAttempts: settings.delivery.retry.maxAttempts,
    maxAgeSeconds: Math.round(settings.delivery.retry.maxAgeHours * 3600),
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
    country: clinic.country,
    webhookSecretCount: clinic.webhookSecrets.length,
    delivery: {
      mode: clinic.deliveryMode,
      format: clinic.deliveryFormat,
      url: clinic.deliveryUrl,
      concurrency: clinic.concurrency,
      ratePerSecond: clinic.ratePerSecond,
      retry: { maxAttempts: clinic.maxAttempts, maxAgeHours: clinic.maxAgeSeconds / 3600 },
      pull: { visibilityTimeoutSeconds: clinic.pullVisibilitySeconds, retentionDays: clinic.pullRetentionSeconds / 86_400 },
    },
    createdAt: new Date(clinic.createdAt).toISOString(),
    updatedAt: new Date(clinic.updatedAt).toISOString(),
  };
}

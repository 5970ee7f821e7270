import { eq } from "drizzle-orm";
import type { Database } from "./db/client";
import { ProblemError } from "./http/problem";
import { clinics } from "./db/schema";
import type { SecretBox } from "./secrets/box";

/** A clinic row as stored: its secrets are encrypted (see src/secrets/box.ts). */
export type Clinic = typeof clinics.$inferSelect;

/** A clinic's secrets in plain text, for verifying webhooks and signing deliveries. */
export interface ClinicSecrets {
  webhookSecrets: string[];
  signingSecrets: string[];
}

/** Decrypts the clinic's secrets; the signing secrets are the current one and, during a rotation, the next. */
export async function clinicSecrets(box: SecretBox, clinic: Clinic): Promise<ClinicSecrets> {
  const webhookSecrets = await Promise.all(clinic.webhookSecrets.map((secret) => box.decrypt(secret)));
  const signingSecrets = [await box.decrypt(clinic.signingSecret)];
  if (clinic.signingSecretNext) {
    signingSecrets.push(await box.decrypt(clinic.signingSecretNext));
  }
  return { webhookSecrets, signingSecrets };
}

/** The clinic settings an operator sends with PUT /admin/v1/clinics/{clinicId}. */
export interface ClinicSettings {
  name: string;
  timezone: string;
  country: string;
  retentionDays: number;
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

/** Returns the clinic, or throws a 404 problem when no clinic has that id. */
export async function requireClinic(db: Database, clinicId: string): Promise<Clinic> {
  const clinic = await getClinic(db, clinicId);
  if (!clinic) {
    throw new ProblemError(404, "clinic-not-found", "Clinic not found", `No clinic has the id "${clinicId}".`);
  }
  return clinic;
}

/** Creates or replaces a clinic, encrypting its secrets; returns true when the clinic is new. */
export async function putClinic(db: Database, box: SecretBox, clinicId: string, settings: ClinicSettings, now: number): Promise<boolean> {
  const values = {
    name: settings.name,
    timezone: settings.timezone,
    country: settings.country,
    retentionDays: settings.retentionDays,
    webhookSecrets: await Promise.all(settings.webhookSecrets.map((secret) => box.encrypt(secret))),
    deliveryMode: settings.delivery.mode,
    deliveryFormat: settings.delivery.format,
    deliveryUrl: settings.delivery.url ?? "",
    pullVisibilitySeconds: settings.delivery.pull.visibilityTimeoutSeconds,
    pullRetentionSeconds: Math.round(settings.delivery.pull.retentionDays * 86_400),
    signingSecret: await box.encrypt(settings.delivery.signingSecret),
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
    disabled: clinic.disabledAt !== null,
    retentionDays: clinic.retentionDays,
    webhookSecretCount: clinic.webhookSecrets.length,
    signingSecretRotation: clinic.signingSecretNext !== null,
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

export async function listClinics(db: Database): Promise<Clinic[]> {
  return db.select().from(clinics).orderBy(clinics.id).all();
}

/** Updates some columns of a clinic; returns false when the clinic does not exist. */
export async function updateClinic(db: Database, clinicId: string, values: Partial<Omit<Clinic, "id" | "createdAt">>, now: number): Promise<boolean> {
  const updated = await db
    .update(clinics)
    .set({ ...values, updatedAt: now })
    .where(eq(clinics.id, clinicId))
    .returning({ id: clinics.id });
  return updated.length > 0;
}

import { Hono } from "hono";
import { listClinics, updateClinic } from "../clinics";
import type { AppEnv } from "../env";
import { log } from "../log";
import { openSecretBox } from "../secrets/box";

/**
 * Maintenance routes under /admin/v1/maintenance.
 *
 * POST /reencrypt-secrets rewrites every clinic secret under the current
 * SECRETS_KEY. During a key rotation the old key is SECRETS_KEY_PREVIOUS,
 * so each value is read with whichever key encrypted it; once this
 * returns, SECRETS_KEY_PREVIOUS can be deleted.
 */
export const maintenanceRoutes = new Hono<AppEnv>().post("/reencrypt-secrets", async (c) => {
  const box = await openSecretBox(c.env);
  let clinicsRewritten = 0;
  for (const clinic of await listClinics(c.var.db)) {
    const stored = [...clinic.webhookSecrets, clinic.signingSecret, ...(clinic.signingSecretNext ? [clinic.signingSecretNext] : [])];
    if (!stored.some((value) => box.needsReencryption(value))) {
      continue;
    }
    const reencrypt = async (value: string) => box.encrypt(await box.decrypt(value));
    await updateClinic(
      c.var.db,
      clinic.id,
      {
        webhookSecrets: await Promise.all(clinic.webhookSecrets.map(reencrypt)),
        signingSecret: await reencrypt(clinic.signingSecret),
        signingSecretNext: clinic.signingSecretNext === null ? null : await reencrypt(clinic.signingSecretNext),
      },
      Date.now(),
    );
    clinicsRewritten += 1;
  }
  log.info("clinic secrets re-encrypted", { clinics: clinicsRewritten });
  return c.json({ clinicsRewritten });
});

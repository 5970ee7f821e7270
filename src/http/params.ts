import { z } from "zod";

/** Clinic ids appear in URLs: lowercase letters, digits and hyphens, 1 to 64 characters. */
export const CLINIC_ID_PATTERN = /^[a-z0-9-]{1,64}$/;

/** Path parameters shared by the admin, HIS and operations routes. */
export const clinicParam = z.object({ clinicId: z.string().regex(CLINIC_ID_PATTERN, { message: "must match [a-z0-9-]{1,64}" }) });
export const eventParam = clinicParam.extend({ eventId: z.string().regex(/^evt_[0-9a-f]{32}$/, { message: "must be an event id such as evt_0123…" }) });
export const quarantineParam = clinicParam.extend({ quarantineId: z.string().regex(/^qtn_[0-9a-f]{32}$/, { message: "must be a quarantine id such as qtn_0123…" }) });

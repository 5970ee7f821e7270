/** Clinic ids appear in URLs: lowercase letters, digits and hyphens, 1 to 64 characters. */
export const CLINIC_ID_PATTERN = /^[a-z0-9-]{1,64}$/;

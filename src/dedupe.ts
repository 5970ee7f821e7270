import { bytesToHex } from "./verify/signature";

/**
 * Duplicate detection for Chup webhooks, keyed by (clinic, signature): the
 * signature is an HMAC of the payload, so a retried webhook carries the same
 * one. KV catches most repeats without a D1 query. KV is eventually
 * consistent, though, so the unique (clinic_id, signature) index in D1 is the
 * authority and catches copies that arrive milliseconds apart.
 */

/**
 * How long KV remembers a signature. Chup's retry schedule is not published;
 * a repeat after this still meets the D1 unique index.
 */
export const DEDUPE_KV_TTL_SECONDS = 7 * 24 * 60 * 60;

/** Returns the KV key for one webhook; the signature is lowercased so hex case does not matter. */
export function dedupeKey(clinicId: string, signature: string): string {
  return `dedupe:${clinicId}:${signature.toLowerCase()}`;
}

/**
 * Derives the gateway's event id from (clinic, signature), so concurrent
 * copies of one webhook compute the same id before any storage is read.
 */
export async function deriveEventId(clinicId: string, signature: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${clinicId}\n${signature.toLowerCase()}`));
  return `evt_${bytesToHex(new Uint8Array(digest).subarray(0, 16))}`;
}

/** Returns the event id KV remembers for this webhook, or null when KV has not seen it. */
export async function findInKv(kv: KVNamespace, clinicId: string, signature: string): Promise<string | null> {
  return kv.get(dedupeKey(clinicId, signature));
}

export async function rememberInKv(kv: KVNamespace, clinicId: string, signature: string, eventId: string): Promise<void> {
  await kv.put(dedupeKey(clinicId, signature), eventId, { expirationTtl: DEDUPE_KV_TTL_SECONDS });
}

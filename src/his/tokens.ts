import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client";
import { hisTokens } from "../db/schema";
import { bytesToHex } from "../verify/signature";

/** Prefix that makes a leaked HIS token easy to recognise in a secret scanner. */
const TOKEN_PREFIX = "chis_";

export async function hashToken(token: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))));
}

/** Creates a HIS token for a clinic; the token itself is returned once and only its hash is stored. */
export async function createHisToken(db: Database, clinicId: string, name: string, now: number) {
  const random = crypto.getRandomValues(new Uint8Array(32));
  const token = TOKEN_PREFIX + btoa(String.fromCharCode(...random)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  const row = { id: `htk_${crypto.randomUUID().replaceAll("-", "")}`, clinicId, name, tokenHash: await hashToken(token), createdAt: now };
  await db.insert(hisTokens).values(row);
  return { id: row.id, name, token, createdAt: new Date(now).toISOString() };
}

export async function listHisTokens(db: Database, clinicId: string) {
  const rows = await db.select().from(hisTokens).where(eq(hisTokens.clinicId, clinicId)).all();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    createdAt: new Date(row.createdAt).toISOString(),
    revokedAt: row.revokedAt === null ? null : new Date(row.revokedAt).toISOString(),
  }));
}

/** Revokes a token; returns false when the clinic has no such token. */
export async function revokeHisToken(db: Database, clinicId: string, tokenId: string, now: number): Promise<boolean> {
  const updated = await db
    .update(hisTokens)
    .set({ revokedAt: now })
    .where(and(eq(hisTokens.clinicId, clinicId), eq(hisTokens.id, tokenId), isNull(hisTokens.revokedAt)))
    .returning({ id: hisTokens.id });
  return updated.length > 0;
}

/** Returns the clinic id a live token belongs to, or null. The lookup is by hash, so no token is compared as text. */
export async function clinicOfToken(db: Database, token: string): Promise<string | null> {
  const row = await db
    .select({ clinicId: hisTokens.clinicId })
    .from(hisTokens)
    .where(and(eq(hisTokens.tokenHash, await hashToken(token)), isNull(hisTokens.revokedAt)))
    .get();
  return row?.clinicId ?? null;
}

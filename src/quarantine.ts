import type { Database } from "./db/client";
import { quarantine } from "./db/schema";

/** Request headers kept with a quarantined body: enough to diagnose, no credentials. */
const KEPT_HEADERS = ["content-type", "content-length", "user-agent", "cf-ray"];

export interface RejectedRequest {
  clinicId: string;
  status: number;
  reason: string;
  detail: string;
  headers: Headers;
  body: Uint8Array;
  bodyTruncated: boolean;
  receivedAt: number;
}

/** Stores a rejected webhook request whole; returns the quarantine id. */
export async function quarantineRequest(db: Database, rejected: RejectedRequest): Promise<string> {
  const id = `qtn_${crypto.randomUUID().replaceAll("-", "")}`;
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = rejected.headers.get(name);
    if (value !== null) {
      headers[name] = value;
    }
  }

  const { body, bodyEncoding } = encodeBody(rejected.body);
  await db.insert(quarantine).values({
    id,
    clinicId: rejected.clinicId,
    receivedAt: rejected.receivedAt,
    status: rejected.status,
    reason: rejected.reason,
    detail: rejected.detail,
    headers,
    body,
    bodyEncoding,
    bodyTruncated: rejected.bodyTruncated,
  });
  return id;
}

function encodeBody(bytes: Uint8Array): { body: string; bodyEncoding: "utf-8" | "base64" } {
  try {
    return { body: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes), bodyEncoding: "utf-8" };
  } catch {
    let binary = "";
    for (const byte of bytes) {
      binary += String.fromCharCode(byte);
    }
    return { body: btoa(binary), bodyEncoding: "base64" };
  }
}

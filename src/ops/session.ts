/**
 * Sessions of the operations page. A session is a cookie value
 * `<expiresAtMs>.<nonce>.<mac>` where the MAC is HMAC-SHA256 over the
 * expiry and nonce. The HMAC key is derived from ADMIN_TOKEN with HKDF, so
 * the cookie never carries the token, and rotating ADMIN_TOKEN ends every
 * session. The server stores no sessions. Logout deletes the cookie, but a
 * copied cookie value stays valid until it expires.
 */

/** Lifetime of a session in seconds, also used as the cookie's Max-Age. */
export const SESSION_LIFETIME_SECONDS = 4 * 60 * 60;

const HKDF_SALT = "chup-edge-gateway ops-page";
const HKDF_INFO = "session-hmac-key v1";
const SESSION_LABEL = "session";
const CSRF_LABEL = "csrf";
const NONCE_BYTES = 16;
const MAC_BYTES = 32;

const encoder = new TextEncoder();

/** A verified session. Its nonce is the input of the CSRF token's HMAC. */
export interface Session {
  nonce: string;
  expiresAt: number;
}

async function sessionKey(adminToken: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(adminToken), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: encoder.encode(HKDF_SALT), info: encoder.encode(HKDF_INFO) },
    material,
    { name: "HMAC", hash: "SHA-256", length: MAC_BYTES * 8 },
    false,
    ["sign"],
  );
}

async function mac(adminToken: string, label: string, ...parts: string[]): Promise<Uint8Array> {
  const key = await sessionKey(adminToken);
  const signature = await crypto.subtle.sign("HMAC", key, encoder.encode([label, ...parts].join(".")));
  return new Uint8Array(signature);
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) {
    return null;
  }
  try {
    return Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/** Compares two byte strings in constant time. Different lengths return false at once, because lengths are public here. */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}

/** Creates a session value that expires SESSION_LIFETIME_SECONDS after `now`. */
export async function issueSession(adminToken: string, now: number): Promise<string> {
  const expiresAt = String(now + SESSION_LIFETIME_SECONDS * 1000);
  const nonce = toBase64Url(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
  const signature = await mac(adminToken, SESSION_LABEL, expiresAt, nonce);
  return `${expiresAt}.${nonce}.${toBase64Url(signature)}`;
}

/** Returns the session when the value was signed with this ADMIN_TOKEN and has not expired, else null. */
export async function verifySession(adminToken: string, value: string | undefined, now: number): Promise<Session | null> {
  const [expiresAt, nonce, signature, ...rest] = (value ?? "").split(".");
  if (expiresAt === undefined || nonce === undefined || signature === undefined || rest.length > 0) {
    return null;
  }
  if (!/^\d{1,15}$/.test(expiresAt) || Number(expiresAt) <= now) {
    return null;
  }
  const presentedMac = fromBase64Url(signature);
  if (presentedMac === null) {
    return null;
  }
  const expectedMac = await mac(adminToken, SESSION_LABEL, expiresAt, nonce);
  return bytesEqual(presentedMac, expectedMac) ? { nonce, expiresAt: Number(expiresAt) } : null;
}

/** Returns the CSRF token of a session: an HMAC of its nonce, so the server keeps no state. */
export async function csrfToken(adminToken: string, session: Session): Promise<string> {
  return toBase64Url(await mac(adminToken, CSRF_LABEL, session.nonce));
}

/** True when `submitted` is the session's CSRF token, compared in constant time. */
export async function isValidCsrfToken(adminToken: string, session: Session, submitted: string): Promise<boolean> {
  const submittedBytes = fromBase64Url(submitted);
  if (submittedBytes === null) {
    return false;
  }
  return bytesEqual(submittedBytes, await mac(adminToken, CSRF_LABEL, session.nonce));
}

/**
 * True when the token typed into the login form is ADMIN_TOKEN. Both sides
 * are hashed first, so the constant-time comparison also hides the length.
 */
export async function isAdminToken(submitted: string, adminToken: string): Promise<boolean> {
  const [submittedHash, expectedHash] = await Promise.all([crypto.subtle.digest("SHA-256", encoder.encode(submitted)), crypto.subtle.digest("SHA-256", encoder.encode(adminToken))]);
  return crypto.subtle.timingSafeEqual(submittedHash, expectedHash);
}

import { encodeLikePhp } from "./php-json";

/** A Chup signature is a SHA-256 HMAC written as 64 hex digits. */
const SIGNATURE_PATTERN = /^[0-9a-fA-F]{64}$/;

/** The reason a signature did not verify; each one names the failed check. */
export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SignatureError";
  }
}

/**
 * Returns the texts a Chup signature may cover: the payload exactly as it
 * is in the body and, when that differs (a pretty-printed or re-escaped
 * body), the compact form PHP's json_encode gives the same tokens. The list
 * never includes JSON.stringify of a parsed object, because that changes
 * number text, key order and escapes.
 */
export function signedTextCandidates(payloadText: string): string[] {
  const phpText = encodeLikePhp(payloadText);
  return phpText === payloadText ? [payloadText] : [payloadText, phpText];
}

/**
 * Checks a hex HMAC-SHA256 signature against every secret and candidate
 * text. WebCrypto's HMAC verify compares in constant time. Throws
 * SignatureError when no combination matches.
 */
export async function verifyChupSignature(payloadText: string, signature: string, secrets: readonly string[]): Promise<void> {
  if (!SIGNATURE_PATTERN.test(signature)) {
    throw new SignatureError(`The signature must be 64 hex characters; received ${signature.length} characters.`);
  }
  if (secrets.length === 0) {
    throw new SignatureError("The clinic has no webhook secret configured.");
  }

  const expected = hexToBytes(signature);
  const encoder = new TextEncoder();
  const candidates = signedTextCandidates(payloadText).map((text) => encoder.encode(text));

  for (const secret of secrets) {
    const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    for (const candidate of candidates) {
      if (await crypto.subtle.verify("HMAC", key, expected, candidate)) {
        return;
      }
    }
  }
  throw new SignatureError(
    "The signature does not match the payload with any of the clinic's webhook secrets. Check that the clinic's webhookSecrets include the secret set in Chup.",
  );
}

/** Computes the hex HMAC-SHA256 Chup would send for a signed text. */
export async function signLikeChup(signedText: string, secret: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(signedText));
  return bytesToHex(new Uint8Array(mac));
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

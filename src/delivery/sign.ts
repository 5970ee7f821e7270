/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the
 * signature is base64 HMAC-SHA256, keyed by the base64 bytes after "whsec_",
 * over "{webhook-id}.{webhook-timestamp}.{body}".
 */

export const SIGNING_SECRET_PREFIX = "whsec_";

export interface StandardWebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/**
 * Signs one message. With several secrets (during a rotation) the header
 * carries one signature per secret, separated by spaces, which Standard
 * Webhooks verifiers accept when any one matches.
 */
export async function signStandardWebhook(secrets: string | string[], messageId: string, timestampSeconds: number, body: string): Promise<StandardWebhookHeaders> {
  const signed = new TextEncoder().encode(`${messageId}.${timestampSeconds}.${body}`);
  const signatures: string[] = [];
  for (const secret of Array.isArray(secrets) ? secrets : [secrets]) {
    if (!secret.startsWith(SIGNING_SECRET_PREFIX)) {
      throw new Error('signStandardWebhook: the signing secret must start with "whsec_"');
    }
    const keyBytes = Uint8Array.from(atob(secret.slice(SIGNING_SECRET_PREFIX.length)), (char) => char.charCodeAt(0));
    const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, signed));
    signatures.push(`v1,${btoa(String.fromCharCode(...mac))}`);
  }

  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": signatures.join(" "),
  };
}

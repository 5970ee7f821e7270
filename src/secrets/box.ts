import { ProblemError } from "../http/problem";
import { bytesToHex } from "../verify/signature";

/**
 * Encryption of clinic secrets at rest: AES-256-GCM under a key held as the
 * Worker secret SECRETS_KEY (base64 of 32 random bytes). A stored value
 * reads "enc:v1:<key id>:<iv>:<ciphertext>", where the key id is the first
 * 8 hex digits of the key's SHA-256, so a value encrypted under the previous
 * key (SECRETS_KEY_PREVIOUS, during a rotation) is still readable.
 */

const PREFIX = "enc:v1:";
const KEY_BYTES = 32;
const IV_BYTES = 12;

interface BoxKey {
  id: string;
  key: CryptoKey;
}

export interface SecretBox {
  encrypt(plain: string): Promise<string>;
  decrypt(stored: string): Promise<string>;
  /** True when a stored value is not encrypted under the current key. */
  needsReencryption(stored: string): boolean;
}

let cached: { source: string; box: SecretBox } | null = null;

/** Returns the box for the Worker's keys; throws a 503 problem when SECRETS_KEY is missing or malformed. */
export async function openSecretBox(env: Pick<Env, "SECRETS_KEY" | "SECRETS_KEY_PREVIOUS">): Promise<SecretBox> {
  const source = `${env.SECRETS_KEY ?? ""}|${env.SECRETS_KEY_PREVIOUS ?? ""}`;
  if (cached?.source === source) {
    return cached.box;
  }
  if (!env.SECRETS_KEY) {
    throw new ProblemError(503, "secrets-key-not-configured", "Secrets key not configured", "The SECRETS_KEY secret is not set on this gateway; see docs/deploy.md.");
  }
  const current = await importBoxKey(env.SECRETS_KEY, "SECRETS_KEY");
  const previous = env.SECRETS_KEY_PREVIOUS ? await importBoxKey(env.SECRETS_KEY_PREVIOUS, "SECRETS_KEY_PREVIOUS") : null;
  const keys = new Map([[current.id, current.key], ...(previous ? [[previous.id, previous.key] as const] : [])]);

  const box: SecretBox = {
    async encrypt(plain) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, current.key, new TextEncoder().encode(plain));
      return `${PREFIX}${current.id}:${toBase64(iv)}:${toBase64(new Uint8Array(ciphertext))}`;
    },
    async decrypt(stored) {
      // NOTE: values written before encryption existed are plain text; they are
      // read as they are until the re-encryption endpoint rewrites them.
      if (!stored.startsWith(PREFIX)) {
        return stored;
      }
      const [keyId, iv, ciphertext] = stored.slice(PREFIX.length).split(":");
      const key = keyId === undefined ? undefined : keys.get(keyId);
      if (!key || iv === undefined || ciphertext === undefined) {
        throw new Error(`secret encrypted under unknown key ${keyId}; set that key as SECRETS_KEY_PREVIOUS`);
      }
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv) }, key, fromBase64(ciphertext));
      return new TextDecoder().decode(plain);
    },
    needsReencryption(stored) {
      return !stored.startsWith(`${PREFIX}${current.id}:`);
    },
  };
  cached = { source, box };
  return box;
}

async function importBoxKey(base64: string, name: string): Promise<BoxKey> {
  let raw: Uint8Array;
  try {
    raw = fromBase64(base64.trim());
  } catch {
    raw = new Uint8Array(0);
  }
  if (raw.length !== KEY_BYTES) {
    throw new ProblemError(503, "secrets-key-not-configured", "Secrets key not configured", `${name} must be base64 of ${KEY_BYTES} random bytes, e.g. from \`openssl rand -base64 32\`.`);
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  const key = await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  return { id: bytesToHex(digest.subarray(0, 4)), key };
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

// Worker secrets are set with `wrangler secret put`, so `wrangler types` cannot see them.
interface Env {
  /** Bearer token of the admin API, which returns 503 until it is set. */
  ADMIN_TOKEN?: string;
  /** Base64 of 32 random bytes: the AES-GCM key clinic secrets are encrypted under in D1. */
  SECRETS_KEY?: string;
  /** The previous SECRETS_KEY while a key rotation is under way. */
  SECRETS_KEY_PREVIOUS?: string;
}

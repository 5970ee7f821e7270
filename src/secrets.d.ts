// Worker secrets are set with `wrangler secret put`, so `wrangler types` cannot see them.
interface Env {
  /** Bearer token of the admin API; the admin API answers 503 until it is set. */
  ADMIN_TOKEN?: string;
}

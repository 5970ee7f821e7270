// Worker secrets are set with `wrangler secret put`, so `wrangler types` cannot see them.
interface Env {
  /** Bearer token of the admin API, which returns 503 until it is set. */
  ADMIN_TOKEN?: string;
}

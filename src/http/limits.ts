import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ProblemError } from "./problem";

/** Seconds a rejected caller should wait: the limiters' period. */
const RETRY_AFTER_SECONDS = 60;

/**
 * Rejects a request with 429 and Retry-After once its key has used up the
 * Workers rate limiting binding's allowance. The key names what is limited:
 * a clinic for ingest, a caller for the admin and HIS APIs.
 */
export function rateLimit(binding: (env: Env) => RateLimit | undefined, keyOf: (c: Parameters<Parameters<typeof createMiddleware<AppEnv>>[0]>[0]) => string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const limiter = binding(c.env);
    if (limiter) {
      const { success } = await limiter.limit({ key: keyOf(c) });
      if (!success) {
        throw new ProblemError(429, "rate-limited", "Too many requests", `Too many requests for this ${c.req.path.startsWith("/webhooks") ? "clinic" : "caller"}; retry after ${RETRY_AFTER_SECONDS} seconds.`, {
          headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
        });
      }
    }
    await next();
  });
}

/** Returns the caller's address as Cloudflare reports it, or "local" in tests and `wrangler dev`. */
export function callerAddress(headers: Headers): string {
  return headers.get("cf-connecting-ip") ?? "local";
}

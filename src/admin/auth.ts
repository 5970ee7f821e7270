import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ProblemError } from "../http/problem";

/**
 * Requires `Authorization: Bearer <ADMIN_TOKEN>`. Both sides are hashed
 * with SHA-256 first, so the constant-time comparison also hides the
 * token's length.
 */
export const requireAdminToken = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) {
    throw new ProblemError(503, "admin-not-configured", "Admin API not configured", "The ADMIN_TOKEN secret is not set on this gateway; set it with `wrangler secret put ADMIN_TOKEN`.");
  }

  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  let reason: string | null = null;
  if (!match?.[1]) {
    reason = "No bearer token was sent.";
  } else if (!(await tokensEqual(match[1], expected))) {
    reason = "The bearer token does not match ADMIN_TOKEN.";
  }
  if (reason !== null) {
    throw new ProblemError(401, "unauthorized", "Unauthorized", `${reason} Send the gateway's admin token as \`Authorization: Bearer <token>\`.`, {
      headers: { "www-authenticate": 'Bearer realm="admin"' },
    });
  }
  await next();
});

async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

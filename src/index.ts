import { Hono } from "hono";
import { requireAdminToken } from "./admin/auth";
import { clinicLifecycleRoutes, clinicRoutes } from "./admin/clinics";
import { quarantineRoutes } from "./admin/quarantine";
import { deliveryRoutes } from "./admin/delivery";
import { hisTokenRoutes } from "./admin/his-tokens";
import { maintenanceRoutes } from "./admin/maintenance";
import { hisRoutes } from "./his/routes";
import { schemaRoutes } from "./schemas";
import { openDatabase } from "./db/client";
import type { AppEnv } from "./env";
import { handleError, handleNotFound } from "./http/problem";
import { ingestRoutes } from "./ingest/route";
import { openApiRoutes } from "./openapi";
import { opsRoutes } from "./ops/routes";
import { callerAddress, rateLimit } from "./http/limits";
import { log } from "./log";
import { applyRetention } from "./retention";

export { DeliveryQueue } from "./delivery/queue";

const app = new Hono<AppEnv>();

/** The clinic id in a request path, for the request log line. */
const CLINIC_IN_PATH = /^\/(?:webhooks\/chup|admin\/v1\/clinics|his\/v1)\/([a-z0-9-]{1,64})(?:\/|$)/;

app.use(async (c, next) => {
  const started = Date.now();
  c.set("db", openDatabase(c.env.DB));
  await next();
  // One line per request: the route pattern, never the raw URL or the body.
  log.info("request", {
    method: c.req.method,
    route: c.req.routePath,
    status: c.res.status,
    clinic_id: CLINIC_IN_PATH.exec(c.req.path)?.[1] ?? null,
    latency_ms: Date.now() - started,
  });
});

app.get("/", (c) => c.json({ service: "chup-edge-gateway", status: "ok" }));
app.use("/webhooks/chup/:clinicId", rateLimit((env) => env.INGEST_LIMITER, (c) => `ingest:${c.req.param("clinicId")}`));
app.use("/admin/*", rateLimit((env) => env.API_LIMITER, (c) => `admin:${callerAddress(c.req.raw.headers)}`));
app.use("/his/*", rateLimit((env) => env.API_LIMITER, (c) => `his:${callerAddress(c.req.raw.headers)}`));
app.route("/webhooks/chup", ingestRoutes);
app.route("/schemas/v1", schemaRoutes);
app.use("/admin/v1/*", requireAdminToken);
app.route("/admin/v1/clinics", clinicRoutes);
app.route("/admin/v1/clinics", clinicLifecycleRoutes);
app.route("/admin/v1/clinics", quarantineRoutes);
app.route("/admin/v1/clinics", hisTokenRoutes);
app.route("/admin/v1/clinics", deliveryRoutes);
app.route("/admin", opsRoutes);
app.route("/admin/v1/maintenance", maintenanceRoutes);
app.route("/his/v1", hisRoutes);
app.route("/", openApiRoutes);

app.onError(handleError);
app.notFound(handleNotFound);

export default {
  fetch: app.fetch,
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(applyRetention(openDatabase(env.DB), Date.now()));
  },
} satisfies ExportedHandler<Env>;

import { Hono } from "hono";
import { requireAdminToken } from "./admin/auth";
import { clinicLifecycleRoutes, clinicRoutes } from "./admin/clinics";
import { quarantineRoutes } from "./admin/quarantine";
import { deliveryRoutes } from "./admin/delivery";
import { hisTokenRoutes } from "./admin/his-tokens";
import { hisRoutes } from "./his/routes";
import { schemaRoutes } from "./schemas";
import { openDatabase } from "./db/client";
import type { AppEnv } from "./env";
import { handleError, handleNotFound } from "./http/problem";
import { ingestRoutes } from "./ingest/route";

export { DeliveryQueue } from "./delivery/queue";

const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  c.set("db", openDatabase(c.env.DB));
  await next();
});

app.get("/", (c) => c.json({ service: "chup-edge-gateway", status: "ok" }));
app.route("/webhooks/chup", ingestRoutes);
app.route("/schemas/v1", schemaRoutes);
app.use("/admin/v1/*", requireAdminToken);
app.route("/admin/v1/clinics", clinicRoutes);
app.route("/admin/v1/clinics", clinicLifecycleRoutes);
app.route("/admin/v1/clinics", quarantineRoutes);
app.route("/admin/v1/clinics", hisTokenRoutes);
app.route("/admin/v1/clinics", deliveryRoutes);
app.route("/his/v1", hisRoutes);

app.onError(handleError);
app.notFound(handleNotFound);

export default app;

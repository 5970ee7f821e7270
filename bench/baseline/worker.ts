import { Hono } from "hono";

/**
 * The benchmark's baseline: a bare Hono Worker on the same runtime as the
 * gateway. It reads the webhook body, as any receiver must, and returns 200
 * without verifying, storing or queueing anything.
 */
const app = new Hono();

app.get("/", (c) => c.json({ service: "bench-baseline", status: "ok" }));
app.post("/webhooks/chup/:clinicId", async (c) => {
  await c.req.arrayBuffer();
  return c.json({ status: "ok" }, 200);
});

export default app;

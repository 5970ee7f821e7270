import { applyD1Migrations, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, vi } from "vitest";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

/**
 * Lets every delivery queue finish what is due, then clears their alarms,
 * so no delivery runs (and logs) while the test file's runtime shuts down.
 */
afterAll(async () => {
  await vi.waitFor(
    async () => {
      const row = await env.DB.prepare("SELECT COUNT(*) AS pending FROM events WHERE delivery_state IN ('received', 'queued')").first<{ pending: number }>();
      if ((row?.pending ?? 0) > 0) {
        throw new Error(`${row?.pending} events still waiting for their first delivery attempt`);
      }
    },
    { timeout: 120_000, interval: 100 },
  );
  for (const id of await listDurableObjectIds(env.DELIVERY_QUEUE)) {
    await runInDurableObject(env.DELIVERY_QUEUE.get(id), (_instance, state) => state.storage.deleteAlarm());
  }
}, 130_000);

import { applyD1Migrations, listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, expect, vi } from "vitest";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

/**
 * Pauses every delivery queue and waits until none is sending, so no
 * delivery runs (and logs) while the test file's runtime shuts down.
 */
afterAll(async () => {
  const queues = (await listDurableObjectIds(env.DELIVERY_QUEUE)).map((id) => env.DELIVERY_QUEUE.get(id));
  for (const queue of queues) {
    await queue.pause();
  }
  await vi.waitFor(
    async () => {
      for (const queue of queues) {
        expect(await queue.isIdle()).toBe(true);
      }
    },
    { timeout: 30_000, interval: 50 },
  );
}, 40_000);

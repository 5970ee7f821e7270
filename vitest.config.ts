import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations("./migrations");

export default defineConfig({
  test: {
    // The gateway logs a JSON line per request; show them only for failing tests.
    silent: "passed-only",
    projects: [
      {
        // Unit and integration tests inside workerd, with real D1, KV and Durable Objects.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: migrations,
                MOCK_HIS_ORIGIN: inject("mockHisOrigin"),
                ADMIN_TOKEN: "test-admin-token",
                SECRETS_KEY: "dGVzdC1zZWNyZXRzLWtleS0zMi1ieXRlcy1sb25nISE=",
              },
              // Tests post thousands of webhooks to one clinic within a minute; the
              // limits themselves are exercised end to end under wrangler dev.
              ratelimits: {
                INGEST_LIMITER: { namespace_id: "1001", simple: { limit: 1_000_000, period: 60 } },
                API_LIMITER: { namespace_id: "1002", simple: { limit: 1_000_000, period: 60 } },
              },
            },
          })),
        ],
        resolve: {
          // cloudevents (CommonJS) requires uuid 8, whose default export condition
          // is an ES module that require() cannot load inside workerd.
          alias: { uuid: fileURLToPath(new URL("./node_modules/uuid/dist/index.js", import.meta.url)) },
        },
        test: {
          name: "workers",
          include: ["test/*.test.ts"],
          globalSetup: ["./test/support/global-setup.ts"],
          setupFiles: ["./test/support/setup.ts"],
        },
      },
      {
        // End-to-end tests in Node.js: `wrangler dev`, the relay agent and a mock HIS as real processes.
        test: {
          name: "e2e",
          include: ["test/e2e/*.test.ts"],
          environment: "node",
          testTimeout: 240_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

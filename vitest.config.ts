import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations("./migrations");

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: migrations,
          MOCK_HIS_ORIGIN: inject("mockHisOrigin"),
          ADMIN_TOKEN: "test-admin-token",
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
    globalSetup: ["./test/support/global-setup.ts"],
    setupFiles: ["./test/support/setup.ts"],
    // The gateway logs a JSON line per request; show them only for failing tests.
    silent: "passed-only",
  },
});

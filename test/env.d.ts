import type { D1Migration } from "cloudflare:test";

// Bindings that only the test runner adds (vitest.config.ts).
declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      MOCK_HIS_ORIGIN: string;
    }
  }
}

import { defineConfig } from "drizzle-kit";

// Only generates SQL: wrangler applies migrations/ to D1, locally and remotely.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});

import type { Database } from "./db/client";

/** Hono environment of the gateway: the Worker's bindings plus per-request values. */
export interface AppEnv {
  Bindings: Env;
  Variables: { db: Database };
}

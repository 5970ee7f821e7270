/**
 * Cloudflare's published prices for what the gateway uses, on the Workers
 * Paid plan, in US dollars beyond each monthly included amount.
 *
 * NOTE: these were copied on 2026-12-04 from stored copies of the
 * cloudflare/cloudflare-docs repository (the live pages could not be
 * reached from the machine the benchmark was written on). Check them
 * against the pages named in `source` before quoting a cost.
 */

export interface Price {
  /** Name of the billed item, as Cloudflare's pricing pages write it. */
  item: string;
  usdPerMillion: number;
  includedPerMonth: string;
  source: string;
}

export const PRICE_DATE = "2026-12-04";
export const PRICE_NOTE =
  "Copied on 2026-12-04 from stored copies of the cloudflare/cloudflare-docs repository, not from the live pages; check them before quoting a cost.";

const WORKERS_SOURCE = "Workers pricing, developers.cloudflare.com/workers/platform/pricing (cloudflare-docs src/content/docs/workers/platform/pricing.mdx at 07acbb66)";
const KV_SOURCE = "KV pricing, developers.cloudflare.com/kv/platform/pricing (cloudflare-docs src/content/partials/workers/kv_pricing.mdx at 16f657ef)";
const D1_SOURCE = "D1 pricing, developers.cloudflare.com/d1/platform/pricing (cloudflare-docs src/content/partials/workers/d1-pricing.mdx at 25a83ced)";
const DO_SOURCE = "Durable Objects pricing, developers.cloudflare.com/durable-objects/platform/pricing (cloudflare-docs src/content/partials/workers/durable_objects_pricing.mdx at 16fe3081)";
const ANALYTICS_SOURCE =
  "Workers Analytics Engine pricing, developers.cloudflare.com/analytics/analytics-engine/pricing (stored copy read through a documentation search; an older copy said billing had not started)";
const DO_STORAGE_SOURCE =
  "Durable Objects SQLite storage pricing, developers.cloudflare.com/durable-objects/platform/pricing (cloudflare-docs src/content/partials/workers/storage_api_pricing.mdx at 0ab5b840; billing enabled January 2026 per the Durable Objects release notes)";

export const PRICES = {
  workerRequests: { item: "Workers requests", usdPerMillion: 0.3, includedPerMonth: "10 million", source: WORKERS_SOURCE },
  workerCpuMs: { item: "Workers CPU time (per million CPU-ms)", usdPerMillion: 0.02, includedPerMonth: "30 million CPU-ms", source: WORKERS_SOURCE },
  kvReads: { item: "KV reads", usdPerMillion: 0.5, includedPerMonth: "10 million", source: KV_SOURCE },
  kvWrites: { item: "KV writes", usdPerMillion: 5, includedPerMonth: "1 million", source: KV_SOURCE },
  kvDeletes: { item: "KV deletes", usdPerMillion: 5, includedPerMonth: "1 million", source: KV_SOURCE },
  kvLists: { item: "KV lists", usdPerMillion: 5, includedPerMonth: "1 million", source: KV_SOURCE },
  d1RowsRead: { item: "D1 rows read", usdPerMillion: 0.001, includedPerMonth: "25 billion", source: D1_SOURCE },
  d1RowsWritten: { item: "D1 rows written", usdPerMillion: 1, includedPerMonth: "50 million", source: D1_SOURCE },
  doRequests: { item: "Durable Objects requests (RPC calls and alarm invocations)", usdPerMillion: 0.15, includedPerMonth: "1 million", source: DO_SOURCE },
  doGbSeconds: { item: "Durable Objects duration (per million GB-s, 128 MB per object)", usdPerMillion: 12.5, includedPerMonth: "400,000 GB-s", source: DO_SOURCE },
  doRowsRead: { item: "Durable Objects SQLite rows read", usdPerMillion: 0.001, includedPerMonth: "25 billion", source: DO_STORAGE_SOURCE },
  doRowsWritten: { item: "Durable Objects SQLite rows written (each setAlarm is one row)", usdPerMillion: 1, includedPerMonth: "50 million", source: DO_STORAGE_SOURCE },
  analyticsDataPoints: { item: "Workers Analytics Engine data points written", usdPerMillion: 0.25, includedPerMonth: "10 million", source: ANALYTICS_SOURCE },
} satisfies Record<string, Price>;

export type PriceKey = keyof typeof PRICES;

/** Memory every Durable Object is billed for, whatever it uses. */
export const DURABLE_OBJECT_BILLED_GB = 0.125;

import { describeError } from "./http/problem";
import { log } from "./log";

/**
 * Workers Analytics Engine data points, one per ingest outcome and per
 * delivery attempt. Each point is written as
 *   index1 = clinic id
 *   blob1 = kind, blob2 = clinic id, blob3 = detail (rejection reason or event type)
 *   double1 = 1 (a count), double2 = latency in milliseconds (0 when not measured)
 * docs/operations.md has the SQL that charts them.
 */
export type MetricKind = "ingested" | "duplicate" | "rejected" | "delivered" | "retried" | "dead_lettered";

export function recordMetric(env: Pick<Env, "METRICS">, kind: MetricKind, clinicId: string, detail = "", latencyMs = 0): void {
  try {
    env.METRICS?.writeDataPoint({ indexes: [clinicId], blobs: [kind, clinicId, detail], doubles: [1, latencyMs] });
  } catch (error) {
    // A lost data point must never fail a webhook or a delivery.
    log.warn("metric not written", { clinic_id: clinicId, kind, error: describeError(error) });
  }
}

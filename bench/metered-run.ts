/**
 * The metered run: a small clinic day through the gateway with METERING=on
 * (src/metering.ts, served by bench/metered/worker.ts), until the HIS has
 * every event, then the billable operations per accepted event.
 */
import type { PlannedWebhook } from "./clinic-day.ts";
import { firstDeliveries, type HisProcess } from "./his.ts";
import { runClosedLoop, statusCounts, summarize, type LatencySummary } from "./load.ts";
import { configureClinic, type DrainResult, drainBacklog, type Gateway, log, sleep } from "./phases.ts";

/** The counts that GET /__metering returns; the shape of MeteringCounts in src/metering.ts. */
export interface MeteringSnapshot {
  workerRequests: number;
  kv: { reads: number; writes: number; deletes: number; lists: number };
  d1: { statements: number; rowsRead: number; rowsWritten: number; unmeteredStatements: number; byStatement: Record<string, StatementCounts> };
  durableObjects: {
    stubRequests: number;
    alarmInvocations: number;
    sqlRowsRead: number;
    sqlRowsWritten: number;
    setAlarmCalls: number;
    getAlarmCalls: number;
    deleteAlarmCalls: number;
    alarmWallMs: number;
    sqlByStatement: Record<string, StatementCounts>;
  };
  analyticsEngineDataPoints: number;
  rateLimiterCalls: number;
  waitMs: { d1: number; kv: number; durableObjectStubs: number };
  maxWaitMs: { d1: number; kv: number; durableObjectStubs: number };
}

export interface StatementCounts {
  statements: number;
  rowsRead: number;
  rowsWritten: number;
}

export interface MeteredRunResult {
  clinics: number;
  webhooksSent: number;
  accepted: number;
  duplicatesAnswered: number;
  statuses: Record<string, number>;
  delivered: number;
  /** Client-side acknowledgement latency with metering on (it runs some reads twice). */
  latency: LatencySummary;
  counts: MeteringSnapshot;
  /** A backlog drained after a HIS outage, counted on its own. */
  outage: { drain: DrainResult; counts: MeteringSnapshot };
}

const DELIVERY_TIMEOUT_MS = 90_000;
const SETTLE_TIMEOUT_MS = 30_000;

export async function meteredRun(
  gateway: Gateway,
  his: HisProcess,
  webhooks: PlannedWebhook[],
  clinicIds: string[],
  outageWebhooks: PlannedWebhook[],
): Promise<MeteredRunResult> {
  for (const clinicId of clinicIds) {
    await configureClinic(gateway, clinicId, his.inboxUrl(clinicId));
  }
  await meteringRequest(gateway, "DELETE");

  const run = await runClosedLoop(gateway.client, webhooks, { concurrency: 4, maxSeconds: 300, serializeKeys: true });
  const accepted = run.sent.filter((item) => item.status === 202 && item.eventId !== null);
  log(`  ${accepted.length} accepted of ${run.sent.length} sent; waiting for the HIS to receive them`);

  // Only the HIS is polled, because every request to the gateway would be counted.
  const acceptedIds = new Set(accepted.map((item) => item.eventId!));
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  let delivered = 0;
  while (Date.now() < deadline) {
    delivered = 0;
    for (const clinicId of clinicIds) {
      delivered += firstDeliveries(await his.received(clinicId)).filter((webhook) => acceptedIds.has(webhook.headers["webhook-id"]!)).length;
    }
    if (delivered >= acceptedIds.size) {
      break;
    }
    await sleep(1_000);
  }

  const counts = await settledCounts(gateway);

  log(`  metered outage: ${outageWebhooks.length} webhooks queued while the HIS answers 503, then drained`);
  const drain = await drainBacklog(gateway, his, outageWebhooks, {
    hisDelayMs: 0,
    concurrency: 4,
    ratePerSecond: 500,
    timeoutSeconds: DELIVERY_TIMEOUT_MS / 1000,
    ingestConcurrency: 4,
    beforeIngest: async () => {
      await meteringRequest(gateway, "DELETE");
    },
  });
  const outageCounts = await settledCounts(gateway);

  return {
    clinics: clinicIds.length,
    webhooksSent: run.sent.length,
    accepted: accepted.length,
    duplicatesAnswered: run.sent.filter((item) => item.status === 200).length,
    statuses: statusCounts(run.sent),
    delivered,
    latency: summarize(run.sent.map((item) => item.latencyMs)),
    counts,
    outage: { drain, counts: outageCounts },
  };
}

/** Reads the counts until two reads 2 s apart agree: the queue copies delivery states to D1 after it sends. */
async function settledCounts(gateway: Gateway): Promise<MeteringSnapshot> {
  let counts = await meteringRequest(gateway, "GET");
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await sleep(2_000);
    const again = await meteringRequest(gateway, "GET");
    const settled = JSON.stringify(again) === JSON.stringify(counts);
    counts = again;
    if (settled) {
      break;
    }
  }
  return counts;
}

async function meteringRequest(gateway: Gateway, method: "GET" | "DELETE"): Promise<MeteringSnapshot> {
  const response = await gateway.client.request(method, "/__metering", undefined, { authorization: `Bearer ${gateway.adminToken}` });
  if (response.status >= 300) {
    throw new Error(`${method} /__metering returned ${response.status}: ${response.text}. Is the metered gateway running with METERING=on?`);
  }
  return (method === "GET" ? JSON.parse(response.text) : {}) as MeteringSnapshot;
}

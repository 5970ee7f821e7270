/**
 * The measurements of `npm run bench`: closed-loop throughput rounds, the
 * paced clinic-day playback with end-to-end times, the backlog drain after
 * a HIS outage, and the metered run that counts billable operations.
 */
import { randomBytes } from "node:crypto";
import type { PlannedWebhook } from "./clinic-day.ts";
import { firstDeliveries, type HisProcess, repeatedDeliveries } from "./his.ts";
import { LocalClient, type LatencySummary, type LoopResult, playSchedule, runClosedLoop, type Sent, statusCounts, summarize } from "./load.ts";
import { type CpuByRole, cpuBetween, type DevServer, totalCpu } from "./servers.ts";

const POLL_INTERVAL_MS = 1_000;

export interface Gateway {
  server: DevServer;
  client: LocalClient;
  adminToken: string;
  webhookSecret: string;
}

/** Creates or replaces a push clinic on the gateway; throws with the response when it is rejected. */
export async function configureClinic(
  gateway: Gateway,
  clinicId: string,
  inboxUrl: string,
  delivery: { concurrency?: number; ratePerSecond?: number } = {},
): Promise<void> {
  const response = await gateway.client.request(
    "PUT",
    `/admin/v1/clinics/${clinicId}`,
    JSON.stringify({
      name: `Benchmark clinic ${clinicId}`,
      timezone: "Asia/Kuala_Lumpur",
      webhookSecrets: [gateway.webhookSecret],
      delivery: { mode: "push", url: inboxUrl, signingSecret: `whsec_${randomBytes(32).toString("base64")}`, ...delivery },
    }),
    { authorization: `Bearer ${gateway.adminToken}` },
  );
  if (response.status >= 300) {
    throw new Error(`Configuring clinic ${clinicId} failed: HTTP ${response.status} ${response.text}`);
  }
}

// ---------------------------------------------------------------------------
// Throughput and acknowledgement latency

export interface RoundResult {
  server: "baseline" | "gateway";
  round: number;
  requests: number;
  elapsedSeconds: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  statuses: Record<string, number>;
  /** CPU seconds of the server's wrangler and workerd processes per 1000 requests (CPU milliseconds per request). */
  serverCpuSecondsPer1000: number;
  serverCpuSecondsPer1000ByRole: CpuByRole;
  clientCpuSecondsPer1000: number;
}

async function measureRound(server: "baseline" | "gateway", round: number, target: DevServer, run: () => Promise<LoopResult>): Promise<RoundResult> {
  const cpuBefore = await target.cpu();
  const result = await run();
  const cpuUsed = cpuBetween(cpuBefore, await target.cpu());
  const requests = result.sent.length;
  const per1000 = (seconds: number) => (seconds / Math.max(1, requests)) * 1000;
  return {
    server,
    round,
    requests,
    elapsedSeconds: result.elapsedSeconds,
    requestsPerSecond: requests / result.elapsedSeconds,
    latency: summarize(result.sent.map((item) => item.latencyMs)),
    statuses: statusCounts(result.sent),
    serverCpuSecondsPer1000: per1000(totalCpu(cpuUsed)),
    serverCpuSecondsPer1000ByRole: Object.fromEntries(Object.entries(cpuUsed).map(([role, seconds]) => [role, per1000(seconds)])),
    clientCpuSecondsPer1000: per1000(result.clientCpuSeconds),
  };
}

/**
 * Alternates closed-loop rounds on the baseline and the gateway, so drift of
 * a shared machine falls on both. The gateway takes fresh webhooks from
 * `pool` each round, because a webhook it has seen is only a duplicate. The
 * baseline stores nothing, so it gets the same bodies again.
 */
export async function throughputRounds(
  baseline: { server: DevServer; client: LocalClient },
  gateway: Gateway,
  pool: PlannedWebhook[],
  options: { rounds: number; roundSeconds: number; concurrency: number },
): Promise<RoundResult[]> {
  const results: RoundResult[] = [];
  let used = 0;
  for (let round = 1; round <= options.rounds; round++) {
    const loop = { concurrency: options.concurrency, maxSeconds: options.roundSeconds, serializeKeys: false };
    const baselineWebhooks = [...pool, ...pool, ...pool];
    results.push(await measureRound("baseline", round, baseline.server, () => runClosedLoop(baseline.client, baselineWebhooks, loop)));
    log(`  baseline round ${round}: ${describeRound(results.at(-1)!)}`);

    const fresh = pool.slice(used);
    if (fresh.length === 0) {
      throw new Error(`The throughput pool (${pool.length} webhooks) ran out; raise BENCH_CLINICS or BENCH_PATIENTS, or lower BENCH_ROUND_SECONDS.`);
    }
    const gatewayRound = await measureRound("gateway", round, gateway.server, () => runClosedLoop(gateway.client, fresh, loop));
    used += gatewayRound.requests;
    results.push(gatewayRound);
    log(`  gateway round ${round}: ${describeRound(gatewayRound)}`);
  }
  return results;
}

function describeRound(round: RoundResult): string {
  return `${round.requests} requests, ${round.requestsPerSecond.toFixed(0)}/s, p50 ${round.latency.p50Ms.toFixed(1)} ms, p99 ${round.latency.p99Ms.toFixed(1)} ms, statuses ${JSON.stringify(round.statuses)}`;
}

// ---------------------------------------------------------------------------
// Paced playback and end-to-end time

export interface PlaybackResult {
  server: "baseline" | "gateway";
  /** Simulated milliseconds per wall millisecond. */
  speedup: number;
  /** Start of the played stretch, in simulated milliseconds since opening. */
  windowStartMs: number;
  simulatedMinutes: number;
  requests: number;
  offeredPeakPerSecond: number;
  achievedPerSecond: number;
  latency: LatencySummary;
  statuses: Record<string, number>;
}

export async function playback(
  name: "baseline" | "gateway",
  client: LocalClient,
  webhooks: PlannedWebhook[],
  options: { speedup: number; maxSeconds: number; offeredPeakPerSecond: number; windowStartMs: number },
): Promise<{ result: PlaybackResult; sent: Sent[] }> {
  const run = await playSchedule(client, webhooks, options);
  const lastAt = run.sent.at(-1)?.webhook.at ?? 0;
  return {
    sent: run.sent,
    result: {
      server: name,
      speedup: options.speedup,
      windowStartMs: options.windowStartMs,
      simulatedMinutes: lastAt / 60_000,
      requests: run.sent.length,
      offeredPeakPerSecond: options.offeredPeakPerSecond,
      achievedPerSecond: run.sent.length / run.elapsedSeconds,
      latency: summarize(run.sent.map((item) => item.latencyMs)),
      statuses: statusCounts(run.sent),
    },
  };
}

export interface EndToEndResult {
  accepted: number;
  delivered: number;
  /** Accepted events the HIS had not received when the wait ran out. */
  missing: number;
  waitedSeconds: number;
  latency: LatencySummary;
}

/** Waits until the HIS inboxes hold every accepted event, then measures webhook-to-HIS times. */
export async function endToEnd(his: HisProcess, sent: Sent[], timeoutSeconds: number): Promise<EndToEndResult> {
  const accepted = sent.filter((item) => item.status === 202 && item.eventId !== null);
  const inboxes = [...new Set(accepted.map((item) => item.webhook.clinicId))];
  const started = Date.now();
  let arrivals = new Map<string, number>();
  for (;;) {
    arrivals = new Map();
    for (const inbox of inboxes) {
      for (const delivery of firstDeliveries(await his.received(inbox))) {
        arrivals.set(delivery.headers["webhook-id"]!, delivery.receivedAt);
      }
    }
    const missing = accepted.filter((item) => !arrivals.has(item.eventId!)).length;
    if (missing === 0 || Date.now() - started > timeoutSeconds * 1000) {
      break;
    }
    await sleep(POLL_INTERVAL_MS);
  }
  const times = accepted.filter((item) => arrivals.has(item.eventId!)).map((item) => arrivals.get(item.eventId!)! - item.dueAt);
  return {
    accepted: accepted.length,
    delivered: times.length,
    missing: accepted.length - times.length,
    waitedSeconds: (Date.now() - started) / 1000,
    latency: summarize(times),
  };
}

// ---------------------------------------------------------------------------
// Backlog drain

export interface DrainResult {
  hisDelayMs: number;
  clinic: { concurrency: number; ratePerSecond: number };
  webhooksSent: number;
  accepted: number;
  /** Delivery attempts that the HIS rejected with 503 during the outage. */
  outageAttempts: number;
  /** From the HIS's return to the first delivery (the circuit's probe), in seconds. */
  firstDeliveryAfterSeconds: number | null;
  /** From the first to the last delivery, in seconds. */
  drainSeconds: number | null;
  delivered: number;
  drainPerSecond: number | null;
  repeatedDeliveries: number;
  /** Visits whose events reached the HIS in another order than the gateway accepted them. */
  visitsOutOfOrder: number;
  visits: number;
  hisAlone: { requests: number; concurrency: number; perSecond: number };
  /** drainPerSecond / hisAlone.perSecond. */
  shareOfHisCapacity: number | null;
  timedOut: boolean;
}

/**
 * Queues webhooks while the HIS returns 503, brings the HIS back, and times
 * how fast the backlog reaches it. Then measures what the mock HIS accepts
 * from a plain client with as many connections as the clinic's delivery
 * concurrency, with the same bodies and delay.
 */
export async function drainBacklog(
  gateway: Gateway,
  his: HisProcess,
  webhooks: PlannedWebhook[],
  options: {
    hisDelayMs: number;
    concurrency: number;
    ratePerSecond: number;
    timeoutSeconds: number;
    ingestConcurrency: number;
    /** Runs after the clinic is configured and before the first webhook; the metered run resets its counts here. */
    beforeIngest?: () => Promise<void>;
  },
): Promise<DrainResult> {
  const clinicId = webhooks[0]!.clinicId;
  await his.setDefault(clinicId, { status: 503 });
  await configureClinic(gateway, clinicId, his.inboxUrl(clinicId), { concurrency: options.concurrency, ratePerSecond: options.ratePerSecond });
  await options.beforeIngest?.();

  const ingest = await runClosedLoop(gateway.client, webhooks, { concurrency: options.ingestConcurrency, maxSeconds: 600, serializeKeys: true });
  const accepted = ingest.sent.filter((item) => item.status === 202 && item.eventId !== null);
  log(`  ${accepted.length} of ${ingest.sent.length} webhooks accepted during the outage in ${ingest.elapsedSeconds.toFixed(1)} s; the HIS returns now`);

  const returnedAt = Date.now();
  await his.setDefault(clinicId, { status: 200, ...(options.hisDelayMs > 0 ? { delayMs: options.hisDelayMs } : {}) });
  const acceptedIds = new Set(accepted.map((item) => item.eventId!));
  let received = await his.received(clinicId);
  let timedOut = false;
  for (;;) {
    const delivered = firstDeliveries(received).filter((webhook) => acceptedIds.has(webhook.headers["webhook-id"]!)).length;
    if (delivered >= acceptedIds.size) {
      break;
    }
    if (Date.now() - returnedAt > options.timeoutSeconds * 1000) {
      timedOut = true;
      break;
    }
    await sleep(POLL_INTERVAL_MS);
    received = await his.received(clinicId);
  }

  const deliveries = firstDeliveries(received).filter((webhook) => acceptedIds.has(webhook.headers["webhook-id"]!));
  const first = deliveries[0]?.receivedAt ?? null;
  const last = deliveries.at(-1)?.receivedAt ?? null;
  const drainSeconds = first !== null && last !== null ? (last - first) / 1000 : null;
  const drainPerSecond = drainSeconds !== null && drainSeconds > 0 ? (deliveries.length - 1) / drainSeconds : null;
  const order = checkVisitOrder(accepted, deliveries.map((webhook) => webhook.headers["webhook-id"]!));

  const hisAlone = await hisCapacity(his, `${clinicId}-alone`, deliveries.map((webhook) => webhook.body), options.concurrency, options.hisDelayMs);
  return {
    hisDelayMs: options.hisDelayMs,
    clinic: { concurrency: options.concurrency, ratePerSecond: options.ratePerSecond },
    webhooksSent: ingest.sent.length,
    accepted: accepted.length,
    outageAttempts: received.filter((webhook) => webhook.status === 503).length,
    firstDeliveryAfterSeconds: first === null ? null : (first - returnedAt) / 1000,
    drainSeconds,
    delivered: deliveries.length,
    drainPerSecond,
    repeatedDeliveries: repeatedDeliveries(received),
    visitsOutOfOrder: order.outOfOrder,
    visits: order.visits,
    hisAlone,
    shareOfHisCapacity: drainPerSecond === null ? null : drainPerSecond / hisAlone.perSecond,
    timedOut,
  };
}

/** Compares, per visit, the order the HIS got events in with the order the gateway accepted them in. */
function checkVisitOrder(accepted: Sent[], deliveredIds: string[]): { visits: number; outOfOrder: number } {
  const position = new Map(deliveredIds.map((id, index) => [id, index]));
  const byVisit = new Map<string, number[]>();
  for (const item of accepted) {
    const at = position.get(item.eventId!);
    if (at !== undefined) {
      byVisit.set(item.webhook.orderingKey, [...(byVisit.get(item.webhook.orderingKey) ?? []), at]);
    }
  }
  let outOfOrder = 0;
  for (const positions of byVisit.values()) {
    if (positions.some((value, index) => index > 0 && value < positions[index - 1]!)) {
      outOfOrder += 1;
    }
  }
  return { visits: byVisit.size, outOfOrder };
}

/** Posts the same bodies straight to the mock HIS over `concurrency` connections and returns what it accepts per second. */
async function hisCapacity(his: HisProcess, inbox: string, bodies: string[], concurrency: number, delayMs: number): Promise<DrainResult["hisAlone"]> {
  await his.setDefault(inbox, { status: 200, ...(delayMs > 0 ? { delayMs } : {}) });
  const client = new LocalClient(his.port, concurrency);
  let next = 0;
  const started = performance.now();
  const connection = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      await client.request("POST", `/inbox/${inbox}`, body, { "content-type": "application/cloudevents+json" });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, connection));
  const elapsed = (performance.now() - started) / 1000;
  client.close();
  return { requests: bodies.length, concurrency, perSecond: bodies.length / elapsed };
}

// ---------------------------------------------------------------------------

export function log(line: string): void {
  console.log(line);
}

export function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}

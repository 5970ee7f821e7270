/**
 * Turns the raw measurements of one run into the figures, ratios, costs and
 * target verdicts written to bench/results/<date>.json and BENCHMARKS.md.
 */
import type { BenchConfig } from "./config.ts";
import type { MeteredRunResult, MeteringSnapshot } from "./metered-run.ts";
import type { DrainResult, EndToEndResult, PlaybackResult, RoundResult } from "./phases.ts";
import { DURABLE_OBJECT_BILLED_GB, PRICE_DATE, PRICE_NOTE, PRICES, type PriceKey } from "./prices.ts";

export interface CostLine {
  price: PriceKey;
  item: string;
  perEvent: number;
  usdPerMillionEvents: number;
  /** "measured" when counted by metering in this run; otherwise how the figure was reached. */
  basis: string;
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: { cpuModel: string; cpuCount: number; totalMemoryGiB: number; platform: string; node: string; wrangler: string };
  code: { commit: string; uncommittedFiles: string[] };
  config: BenchConfig;
  variables: { name: string; default: string; sets: string }[];
  throughput: {
    rounds: RoundResult[];
    baseline: ServerSummary;
    gateway: ServerSummary;
    /** gateway / baseline, from the medians of the rounds. */
    ratios: { requestsPerSecond: number; p50: number; p99: number; serverCpuPerRequest: number };
  };
  playback: { baseline: PlaybackResult; gateway: PlaybackResult; ratios: { p50: number; p99: number } };
  endToEnd: EndToEndResult;
  drains: DrainResult[];
  metered: MeteredRunResult & {
    d1TableRows: Record<string, number>;
    perAcceptedEvent: Record<string, number>;
    /** The same figures for the events that waited out the metered run's HIS outage. */
    outagePerAcceptedEvent: Record<string, number>;
  };
  costs: { priceDate: string; priceNote: string; lines: CostLine[]; usdPerMillionEvents: number; excluded: string[] };
  targets: Target[];
}

export interface ServerSummary {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU seconds per 1000 requests, which is CPU milliseconds per request. */
  serverCpuSecondsPer1000: number;
  serverCpuSecondsPer1000ByRole: Record<string, number>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function summarizeServer(rounds: RoundResult[]): ServerSummary {
  return {
    requestsPerSecond: median(rounds.map((round) => round.requestsPerSecond)),
    p50Ms: median(rounds.map((round) => round.latency.p50Ms)),
    p99Ms: median(rounds.map((round) => round.latency.p99Ms)),
    serverCpuSecondsPer1000: median(rounds.map((round) => round.serverCpuSecondsPer1000)),
    serverCpuSecondsPer1000ByRole: Object.fromEntries(
      [...new Set(rounds.flatMap((round) => Object.keys(round.serverCpuSecondsPer1000ByRole)))].map((role) => [
        role,
        median(rounds.map((round) => round.serverCpuSecondsPer1000ByRole[role] ?? 0)),
      ]),
    ),
  };
}

function costs(metered: MeteredRunResult, gatewayCpuMsPerRequest: number): BenchResults["costs"] {
  const { counts, accepted } = metered;
  const perEvent = (value: number) => value / Math.max(1, accepted);
  const durableObjectSeconds = perEvent(counts.durableObjects.alarmWallMs + counts.waitMs.durableObjectStubs) / 1000;
  const lines: Omit<CostLine, "item" | "usdPerMillionEvents">[] = [
    { price: "workerRequests", perEvent: perEvent(counts.workerRequests), basis: "measured" },
    {
      price: "workerCpuMs",
      perEvent: gatewayCpuMsPerRequest,
      basis: "upper bound: CPU of every local gateway process per request in the throughput rounds, which includes the Durable Object, the local D1 and KV simulators and wrangler's dev proxy",
    },
    { price: "kvReads", perEvent: perEvent(counts.kv.reads), basis: "measured" },
    { price: "kvWrites", perEvent: perEvent(counts.kv.writes), basis: "measured" },
    { price: "kvDeletes", perEvent: perEvent(counts.kv.deletes), basis: "measured" },
    { price: "kvLists", perEvent: perEvent(counts.kv.lists), basis: "measured" },
    { price: "d1RowsRead", perEvent: perEvent(counts.d1.rowsRead), basis: "measured" },
    { price: "d1RowsWritten", perEvent: perEvent(counts.d1.rowsWritten), basis: "measured" },
    { price: "doRequests", perEvent: perEvent(counts.durableObjects.stubRequests + counts.durableObjects.alarmInvocations), basis: "measured" },
    {
      price: "doGbSeconds",
      perEvent: durableObjectSeconds * DURABLE_OBJECT_BILLED_GB,
      basis: "estimate: local wall time in alarm handlers plus the Worker's waits on queue calls, times 128 MB; a HIS slower than the local mock adds its response time divided by the clinic's concurrency",
    },
    { price: "doRowsRead", perEvent: perEvent(counts.durableObjects.sqlRowsRead), basis: "measured" },
    { price: "doRowsWritten", perEvent: perEvent(counts.durableObjects.sqlRowsWritten + counts.durableObjects.setAlarmCalls), basis: "measured (SQL rows written plus one per setAlarm call)" },
    { price: "analyticsDataPoints", perEvent: perEvent(counts.analyticsEngineDataPoints), basis: "measured" },
  ];
  const priced = lines.map((line) => ({
    ...line,
    item: PRICES[line.price].item,
    usdPerMillionEvents: line.perEvent * PRICES[line.price].usdPerMillion,
  }));
  return {
    priceDate: PRICE_DATE,
    priceNote: PRICE_NOTE,
    lines: priced,
    usdPerMillionEvents: priced.reduce((sum, line) => sum + line.usdPerMillionEvents, 0),
    excluded: [
      "the Workers Paid plan's monthly minimum of 5 USD and every monthly included amount: the figures are the cost at the margin",
      "storage: D1 (0.75 USD per GB-month over 5 GB), Durable Object SQLite (0.20 USD per GB-month over 5 GB) and KV (0.50 USD per GB-month over 1 GB)",
      "Workers Logs, which the gateway's wrangler.toml enables",
      `rate limiter calls (${fixed3(perEvent(counts.rateLimiterCalls))} per event), for which the pricing pages read here list no price`,
    ],
  };
}

function fixed3(value: number): string {
  return value.toFixed(3);
}

/** Divides the counts by the accepted events, and the binding waits by the Worker requests. */
export function perAcceptedEvent(counts: MeteringSnapshot, accepted: number): Record<string, number> {
  const per = (value: number) => value / Math.max(1, accepted);
  return {
    workerRequests: per(counts.workerRequests),
    kvReads: per(counts.kv.reads),
    kvWrites: per(counts.kv.writes),
    d1Statements: per(counts.d1.statements),
    d1RowsRead: per(counts.d1.rowsRead),
    d1RowsWritten: per(counts.d1.rowsWritten),
    durableObjectStubRequests: per(counts.durableObjects.stubRequests),
    durableObjectAlarmInvocations: per(counts.durableObjects.alarmInvocations),
    durableObjectSqlRowsRead: per(counts.durableObjects.sqlRowsRead),
    durableObjectSqlRowsWritten: per(counts.durableObjects.sqlRowsWritten),
    durableObjectSetAlarmCalls: per(counts.durableObjects.setAlarmCalls),
    durableObjectAlarmWallMs: per(counts.durableObjects.alarmWallMs),
    analyticsEngineDataPoints: per(counts.analyticsEngineDataPoints),
    rateLimiterCalls: per(counts.rateLimiterCalls),
    d1WaitMsPerRequest: counts.d1.statements === 0 ? 0 : counts.waitMs.d1 / Math.max(1, counts.workerRequests),
    kvWaitMsPerRequest: counts.waitMs.kv / Math.max(1, counts.workerRequests),
    queueWaitMsPerRequest: counts.waitMs.durableObjectStubs / Math.max(1, counts.workerRequests),
    d1MaxWaitMs: counts.maxWaitMs.d1,
    kvMaxWaitMs: counts.maxWaitMs.kv,
    queueMaxWaitMs: counts.maxWaitMs.durableObjectStubs,
  };
}

function targets(results: Omit<BenchResults, "targets">): Target[] {
  const list: Target[] = [];
  const { ratios } = results.throughput;
  list.push({
    name: "Full ingest throughput",
    target: "at least 50 % of the bare Worker's requests per second",
    measured: `${percent(ratios.requestsPerSecond)} (${results.throughput.gateway.requestsPerSecond.toFixed(0)}/s against ${results.throughput.baseline.requestsPerSecond.toFixed(0)}/s)`,
    met: ratios.requestsPerSecond >= 0.5,
  });
  list.push({
    name: "p99 acknowledgement",
    target: "at most 3 × the bare Worker's p99 at the same offered load",
    measured: `${results.playback.ratios.p99.toFixed(1)} × (${results.playback.gateway.latency.p99Ms.toFixed(1)} ms against ${results.playback.baseline.latency.p99Ms.toFixed(1)} ms)`,
    met: results.playback.ratios.p99 <= 3,
  });
  for (const drain of results.drains) {
    const share = drain.shareOfHisCapacity ?? 0;
    list.push({
      name: `Backlog drain, HIS taking ${drain.hisDelayMs} ms`,
      target: "at least 80 % of the mock HIS's own capacity, order per visit kept",
      measured:
        `${percent(share)} (${drain.drainPerSecond?.toFixed(0) ?? "no"}/s against ${drain.hisAlone.perSecond.toFixed(0)}/s), ` +
        `${drain.visitsOutOfOrder} of ${drain.visits} visits out of order` +
        (drain.timedOut ? `, ${drain.accepted - drain.delivered} events still queued at the time limit` : ""),
      met: share >= 0.8 && drain.visitsOutOfOrder === 0 && !drain.timedOut,
    });
  }
  const kvWrites = results.metered.perAcceptedEvent["kvWrites"] ?? Number.NaN;
  list.push({
    name: "KV writes per event",
    target: "at most 1",
    measured: kvWrites.toFixed(3),
    met: kvWrites <= 1,
  });
  return list;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(0)} %`;
}

export function buildResults(input: {
  startedAt: Date;
  finishedAt: Date;
  machine: BenchResults["machine"];
  code: BenchResults["code"];
  config: BenchConfig;
  variables: BenchResults["variables"];
  rounds: RoundResult[];
  playback: { baseline: PlaybackResult; gateway: PlaybackResult };
  endToEnd: EndToEndResult;
  drains: DrainResult[];
  metered: MeteredRunResult;
  d1TableRows: Record<string, number>;
}): BenchResults {
  const baseline = summarizeServer(input.rounds.filter((round) => round.server === "baseline"));
  const gateway = summarizeServer(input.rounds.filter((round) => round.server === "gateway"));
  const withoutTargets: Omit<BenchResults, "targets"> = {
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    durationSeconds: (input.finishedAt.getTime() - input.startedAt.getTime()) / 1000,
    machine: input.machine,
    code: input.code,
    config: input.config,
    variables: input.variables,
    throughput: {
      rounds: input.rounds,
      baseline,
      gateway,
      ratios: {
        requestsPerSecond: gateway.requestsPerSecond / baseline.requestsPerSecond,
        p50: gateway.p50Ms / baseline.p50Ms,
        p99: gateway.p99Ms / baseline.p99Ms,
        serverCpuPerRequest: gateway.serverCpuSecondsPer1000 / baseline.serverCpuSecondsPer1000,
      },
    },
    playback: {
      ...input.playback,
      ratios: {
        p50: input.playback.gateway.latency.p50Ms / input.playback.baseline.latency.p50Ms,
        p99: input.playback.gateway.latency.p99Ms / input.playback.baseline.latency.p99Ms,
      },
    },
    endToEnd: input.endToEnd,
    drains: input.drains,
    metered: {
      ...input.metered,
      d1TableRows: input.d1TableRows,
      perAcceptedEvent: perAcceptedEvent(input.metered.counts, input.metered.accepted),
      outagePerAcceptedEvent: perAcceptedEvent(input.metered.outage.counts, input.metered.outage.drain.accepted),
    },
    costs: costs(input.metered, gateway.serverCpuSecondsPer1000),
  };
  return { ...withoutTargets, targets: targets(withoutTargets) };
}

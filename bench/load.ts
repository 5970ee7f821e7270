/**
 * Load loops for the benchmark: a closed loop (a fixed number of
 * connections, each sending as soon as its last response arrived) and a
 * paced playback (each webhook sent at its planned time). Both are bounded
 * in count and in time, and both send only to 127.0.0.1.
 */
import http from "node:http";
import type { PlannedWebhook } from "./clinic-day.ts";

/** A response slower than this is recorded as a failure, so no loop waits forever. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface Sent {
  webhook: PlannedWebhook;
  /** Epoch milliseconds when the request was due (playback) or started (closed loop). */
  dueAt: number;
  /** Milliseconds from `dueAt` until the whole response was read. */
  latencyMs: number;
  status: number;
  /** The gateway's event id from a 202 or 200 body, when there is one. */
  eventId: string | null;
  error: string | null;
}

export interface LoopResult {
  sent: Sent[];
  elapsedSeconds: number;
  /** CPU seconds this Node process used while the loop ran. */
  clientCpuSeconds: number;
}

/** An HTTP client for one local port with keep-alive connections. */
export class LocalClient {
  private readonly agent: http.Agent;

  constructor(
    readonly port: number,
    maxSockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: "127.0.0.1",
          port: this.port,
          path,
          method,
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
          headers: body === undefined ? headers : { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
          response.on("error", reject);
        },
      );
      request.on("timeout", () => request.destroy(new Error(`no response within ${REQUEST_TIMEOUT_MS} ms`)));
      request.on("error", reject);
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

async function postWebhook(client: LocalClient, webhook: PlannedWebhook, dueAt: number, dueClock: number): Promise<Sent> {
  try {
    const response = await client.request("POST", `/webhooks/chup/${webhook.clinicId}`, webhook.body);
    return { webhook, dueAt, latencyMs: performance.now() - dueClock, status: response.status, eventId: eventIdOf(response.text), error: null };
  } catch (error) {
    return { webhook, dueAt, latencyMs: performance.now() - dueClock, status: 0, eventId: null, error: error instanceof Error ? error.message : String(error) };
  }
}

function eventIdOf(text: string): string | null {
  try {
    const parsed = JSON.parse(text) as { eventId?: unknown };
    return typeof parsed.eventId === "string" ? parsed.eventId : null;
  } catch {
    return null;
  }
}

/**
 * Sends webhooks over `concurrency` connections, each starting its next
 * request when the response to its last one arrived, until the list or
 * `maxSeconds` runs out. With `serializeKeys`, a webhook waits for the
 * response to the previous webhook of its ordering key, so the gateway
 * receives each visit's webhooks in list order.
 */
export async function runClosedLoop(
  client: LocalClient,
  webhooks: PlannedWebhook[],
  options: { concurrency: number; maxSeconds: number; serializeKeys: boolean },
): Promise<LoopResult> {
  const sent: Sent[] = [];
  const pending = [...webhooks];
  const keysInFlight = new Set<string>();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + options.maxSeconds * 1000;

  const takeNext = (): PlannedWebhook | undefined => {
    if (!options.serializeKeys) {
      return pending.shift();
    }
    // Look a little ahead for a webhook whose visit has nothing in flight.
    const index = pending.slice(0, 64).findIndex((webhook) => !keysInFlight.has(webhook.orderingKey));
    return index === -1 ? undefined : pending.splice(index, 1)[0];
  };

  const connection = async () => {
    while (pending.length > 0 && performance.now() < deadline) {
      const webhook = takeNext();
      if (!webhook) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      keysInFlight.add(webhook.orderingKey);
      const clock = performance.now();
      sent.push(await postWebhook(client, webhook, Date.now(), clock));
      keysInFlight.delete(webhook.orderingKey);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, connection));
  return { sent, elapsedSeconds: (performance.now() - started) / 1000, clientCpuSeconds: cpuSeconds(process.cpuUsage(cpuBefore)) };
}

/**
 * Sends each webhook at `startAt + webhook.at / speedup`, or when the
 * response to the previous webhook of its ordering key arrived if that is later.
 * Latency counts from that due time, so a slow server is not hidden by
 * requests that waited in the client (coordinated omission). Webhooks due
 * after `maxSeconds` are left out.
 */
export async function playSchedule(client: LocalClient, webhooks: PlannedWebhook[], options: { speedup: number; maxSeconds: number }): Promise<LoopResult> {
  const cpuBefore = process.cpuUsage();
  const startClock = performance.now() + 200;
  const startEpoch = Date.now() + 200;
  const lastOfKey = new Map<string, Promise<unknown>>();
  const sends: Promise<Sent>[] = [];

  for (const webhook of webhooks) {
    const offsetMs = webhook.at / options.speedup;
    if (offsetMs > options.maxSeconds * 1000) {
      break;
    }
    const previous = lastOfKey.get(webhook.orderingKey) ?? Promise.resolve();
    const send = (async () => {
      const wait = startClock + offsetMs - performance.now();
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await previous;
      const dueClock = Math.max(startClock + offsetMs, performance.now());
      return postWebhook(client, webhook, startEpoch + (dueClock - startClock), dueClock);
    })();
    lastOfKey.set(webhook.orderingKey, send);
    sends.push(send);
  }
  const sent = await Promise.all(sends);
  return { sent, elapsedSeconds: (performance.now() - startClock) / 1000, clientCpuSeconds: cpuSeconds(process.cpuUsage(cpuBefore)) };
}

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Nearest-rank percentiles of a list of milliseconds. */
export function summarize(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return { count: sorted.length, p50Ms: rank(0.5), p90Ms: rank(0.9), p99Ms: rank(0.99), maxMs: sorted.at(-1) ?? Number.NaN, meanMs: mean };
}

/** Counts responses by status, with 0 for requests that got none. */
export function statusCounts(sent: Sent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of sent) {
    counts[String(item.status)] = (counts[String(item.status)] ?? 0) + 1;
  }
  return counts;
}

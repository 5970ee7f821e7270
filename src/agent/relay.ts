import { setTimeout as sleep } from "node:timers/promises";
import { signStandardWebhook } from "../delivery/sign.ts";
import type { AgentConfig } from "./config.ts";
import { log } from "./log.ts";
import type { AgentStore, StoredEvent } from "./store.ts";

/** First wait after a failure; each further failure doubles it up to maxBackoffMs. */
const FIRST_BACKOFF_MS = 500;

/** The gateway refused the agent's settings (token, clinic or mode); retrying will not help. */
export class GatewayConfigError extends Error {
  override name = "GatewayConfigError";
}

interface PullBatch {
  events: { cursor: string; id: string; contentType: string; event: unknown }[];
  nextCursor: string;
}

/**
 * Pulls a clinic's events from the gateway and POSTs each to the local HIS,
 * one at a time in gateway order, so the events of a visit reach the HIS in
 * the order Chup sent them. An event is acknowledged to the gateway only
 * after the local HIS responded 2xx. Until then it is retried with backoff
 * and never skipped.
 */
export class RelayAgent {
  private readonly stopController = new AbortController();
  private readonly config: AgentConfig;
  private readonly store: AgentStore;

  constructor(config: AgentConfig, store: AgentStore) {
    this.config = config;
    this.store = store;
  }

  /** Asks the loop to stop after the request in progress; run() then returns. */
  stop(): void {
    this.stopController.abort();
  }

  private get stopping(): boolean {
    return this.stopController.signal.aborted;
  }

  async run(): Promise<void> {
    log.info("relay agent started", { clinic_id: this.config.clinicId, cursor: this.store.cursor(), pending: this.store.pending().length });
    let failures = 0;
    while (!this.stopping) {
      try {
        await this.deliverPending();
        await this.acknowledge();
        if (!this.stopping) {
          await this.pullBatch();
        }
        failures = 0;
      } catch (error) {
        if (error instanceof GatewayConfigError) {
          throw error;
        }
        if (this.stopping) {
          break;
        }
        failures += 1;
        const delay = this.backoff(failures);
        log.error("gateway request failed, will retry", { clinic_id: this.config.clinicId, error: describe(error), retry_in_ms: delay });
        await this.pause(delay);
      }
    }
    log.info("relay agent stopped", { clinic_id: this.config.clinicId, cursor: this.store.cursor() });
  }

  /** Delivers every stored event the local HIS has not accepted, in order, retrying each until it does. */
  private async deliverPending(): Promise<void> {
    for (const event of this.store.pending()) {
      let attempt = 0;
      while (!this.stopping) {
        attempt += 1;
        const outcome = await this.postToHis(event);
        if (outcome.ok) {
          this.store.markSent(event.eventId);
          log.info("event delivered to the local HIS", { event_id: event.eventId, cursor: event.seq, status: outcome.status, attempt });
          break;
        }
        const delay = this.backoff(attempt);
        log.warn("local HIS did not accept the event, will retry", { event_id: event.eventId, status: outcome.status, error: outcome.error, attempt, retry_in_ms: delay });
        await this.pause(delay);
      }
      if (this.stopping) {
        return;
      }
    }
  }

  private async postToHis(event: StoredEvent): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    try {
      const headers = await signStandardWebhook(this.config.signingSecret, event.eventId, Math.floor(Date.now() / 1000), event.body);
      const response = await fetch(this.config.hisUrl, {
        method: "POST",
        headers: { "content-type": event.contentType, "user-agent": "chup-relay-agent", ...headers },
        body: event.body,
        signal: AbortSignal.timeout(this.config.hisTimeoutMs),
      });
      await response.arrayBuffer();
      return { ok: response.status >= 200 && response.status < 300, status: response.status, error: null };
    } catch (error) {
      return { ok: false, status: null, error: describe(error) };
    }
  }

  /** Acknowledges what the local HIS accepted; the stored copies are dropped once the gateway confirms. */
  private async acknowledge(): Promise<void> {
    for (let ids = this.store.unacknowledged(500); ids.length > 0 && !this.stopping; ids = this.store.unacknowledged(500)) {
      await this.gatewayRequest(`/his/v1/${this.config.clinicId}/ack`, { method: "POST", body: JSON.stringify({ eventIds: ids }) });
      this.store.markAcknowledged(ids);
      log.info("events acknowledged", { clinic_id: this.config.clinicId, count: ids.length });
    }
  }

  /** Long-polls the gateway for the next batch and stores it before anything is sent. */
  private async pullBatch(): Promise<void> {
    const query = `after=${this.store.cursor()}&limit=${this.config.batchSize}&wait=${this.config.waitSeconds}`;
    const batch = (await this.gatewayRequest(`/his/v1/${this.config.clinicId}/events?${query}`, { method: "GET" })) as PullBatch;
    const events = batch.events.map((pulled) => ({
      cursor: pulled.cursor,
      id: pulled.id,
      contentType: pulled.contentType,
      body: JSON.stringify(pulled.event),
    }));
    this.store.saveBatch(events, batch.nextCursor);
    if (events.length > 0) {
      log.info("events pulled", { clinic_id: this.config.clinicId, count: events.length, cursor: batch.nextCursor });
    }
  }

  private async gatewayRequest(path: string, init: { method: string; body?: string }): Promise<unknown> {
    const timeout = AbortSignal.timeout((this.config.waitSeconds + 15) * 1000);
    const response = await fetch(`${this.config.gatewayUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${this.config.hisToken}`, "content-type": "application/json", "user-agent": "chup-relay-agent" },
      signal: AbortSignal.any([timeout, this.stopController.signal]),
    });
    const text = await response.text();
    if (response.status === 401 || response.status === 404 || response.status === 409) {
      throw new GatewayConfigError(`The gateway rejected ${init.method} ${path} with ${response.status}: ${text.slice(0, 300)}`);
    }
    if (!response.ok) {
      throw new Error(`The gateway responded ${response.status}: ${text.slice(0, 300)}`);
    }
    return JSON.parse(text) as unknown;
  }

  private backoff(failures: number): number {
    const ceiling = Math.min(this.config.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** Math.min(failures - 1, 20));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  /** Waits, unless the agent is asked to stop first. */
  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopController.signal }).catch(() => undefined);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

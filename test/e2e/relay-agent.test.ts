import { createHmac } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockHis, type ReceivedWebhook, startMockHis } from "../../src/tools/mock-his.ts";
import { encodeLikePhp } from "../../src/verify/php-json.ts";
import { type AgentProcess, type Gateway, startAgent, startGateway } from "./processes.ts";

/*
 * Scenario: a pull clinic, the gateway under `wrangler dev`, the relay agent
 * as a child process and a mock HIS on loopback. 300 events (60 visits of
 * five states) arrive while the agent is killed with SIGKILL twice and the
 * HIS is down once. Expected: the HIS ends with every event, in order per
 * visit, and any repeat carries the same webhook-id.
 */

const CLINIC_ID = "e2e-pull-clinic";
const CHUP_SECRET = "e2e-chup-secret";
const SIGNING_SECRET = `whsec_${Buffer.from("e2e-signing-key-of-32-bytes-long").toString("base64")}`;
const STATE_NAMES: Record<number, string> = { 1: "In Queue", 2: "Alerted", 3: "Arrived", 4: "Serving", 5: "Served" };

let gateway: Gateway;
let his: MockHis;
let hisToken = "";

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${gateway.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Returns the five live queue payloads of one visit, a minute apart. */
function visitPayloads(visit: number): Record<string, unknown>[] {
  const created = Date.UTC(2024, 2, 5, 1, 0) + visit * 60_000;
  return [1, 2, 3, 4, 5].map((state) => {
    const at = new Date(created + (state - 1) * 60_000).toISOString();
    return {
      event: state === 1 ? "live_queue_created" : "live_queue_updated",
      timestamp: at,
      data: { id: 800_000 + visit, registered_client_id: 90_000 + visit, service_id: 101, service_name: "Registration", state, state_name: STATE_NAMES[state], notes: [], created_at: new Date(created).toISOString(), updated_at: at },
    };
  });
}

/** Posts one payload signed the way Chup signs; returns the gateway's event id. */
async function postPayload(payload: Record<string, unknown>, clinicId = CLINIC_ID): Promise<string> {
  const text = JSON.stringify(payload);
  const signature = createHmac("sha256", CHUP_SECRET).update(encodeLikePhp(text)).digest("hex");
  const response = await fetch(`${gateway.url}/webhooks/chup/${clinicId}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: `{"payload":${text},"signature":"${signature}"}`,
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { eventId: string }).eventId;
}

/** Posts visits' events: visits in parallel, each visit's events one after another. */
async function postVisits(visits: Record<string, unknown>[][], upTo: number, from: number): Promise<string[]> {
  const ids: string[] = [];
  const slices = visits.map((payloads) => payloads.slice(from, upTo));
  await Promise.all(
    slices.map(async (payloads) => {
      for (const payload of payloads) {
        ids.push(await postPayload(payload));
      }
    }),
  );
  return ids;
}

async function setHisDefault(status: number): Promise<void> {
  await fetch(`${his.origin}/control/${CLINIC_ID}/default`, { method: "PUT", body: JSON.stringify({ status }) });
}

function successes(): ReceivedWebhook[] {
  return (his.received.get(CLINIC_ID) ?? []).filter((webhook) => webhook.status >= 200 && webhook.status < 300);
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Creates a pull clinic and returns a HIS token for it. */
async function createPullClinic(clinicId: string): Promise<string> {
  const created = await admin("PUT", `/admin/v1/clinics/${clinicId}`, {
    name: `End-to-end pull clinic ${clinicId}`,
    webhookSecrets: [CHUP_SECRET],
    delivery: { mode: "pull", signingSecret: SIGNING_SECRET, pull: { visibilityTimeoutSeconds: 5 } },
  });
  expect(created.status).toBe(201);
  return ((await (await admin("POST", `/admin/v1/clinics/${clinicId}/his-tokens`, { name: "relay agent" })).json()) as { token: string }).token;
}

beforeAll(async () => {
  [gateway, his] = await Promise.all([startGateway(), startMockHis()]);
  hisToken = await createPullClinic(CLINIC_ID);
});

afterAll(async () => {
  await Promise.all([gateway?.stop(), his?.close()]);
});

describe("relay agent end to end", () => {
  it("delivers 300 events through two agent kills and a HIS outage", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "chup-agent-e2e-"));
    const agentSettings = {
      CHUP_GATEWAY_URL: gateway.url,
      CHUP_CLINIC_ID: CLINIC_ID,
      CHUP_HIS_TOKEN: hisToken,
      CHUP_LOCAL_HIS_URL: `${his.origin}/inbox/${CLINIC_ID}`,
      CHUP_SIGNING_SECRET: SIGNING_SECRET,
      CHUP_AGENT_STATE_FILE: join(stateDir, "agent.sqlite"),
      CHUP_AGENT_WAIT_SECONDS: "5",
      CHUP_AGENT_MAX_BACKOFF_MS: "1000",
    };
    const visits = Array.from({ length: 60 }, (_, visit) => visitPayloads(visit));
    const accepted: string[] = [];
    const agents: AgentProcess[] = [];

    agents.push(startAgent(agentSettings));
    accepted.push(...(await postVisits(visits, 2, 0)));
    await waitFor(() => successes().length >= 40, 60_000, "the first agent to deliver some events");
    agents[0]!.child.kill("SIGKILL");

    accepted.push(...(await postVisits(visits, 3, 2)));
    agents.push(startAgent(agentSettings));
    await setHisDefault(503);
    accepted.push(...(await postVisits(visits, 4, 3)));
    await waitFor(() => (his.received.get(CLINIC_ID) ?? []).some((webhook) => webhook.status === 503), 30_000, "the agent to meet the HIS outage");
    await setHisDefault(200);

    await waitFor(() => successes().length >= 150, 60_000, "the second agent to deliver");
    agents[1]!.child.kill("SIGKILL");
    accepted.push(...(await postVisits(visits, 5, 4)));
    agents.push(startAgent(agentSettings));

    expect(accepted).toHaveLength(300);
    const acceptedIds = new Set(accepted);
    await waitFor(() => new Set(successes().map((webhook) => webhook.headers["webhook-id"])).size >= 300, 120_000, "every event at the HIS");

    // Stop the last agent the way systemd does.
    agents[2]!.child.kill("SIGTERM");
    expect(await agents[2]!.exited).toBe(0);

    const received = his.received.get(CLINIC_ID) ?? [];
    const firstBodyById = new Map<string, string>();
    const statesByVisit = new Map<string, number[]>();
    for (const webhook of successes()) {
      const id = webhook.headers["webhook-id"]!;
      if (firstBodyById.has(id)) {
        expect(webhook.body, `repeat of ${id}`).toBe(firstBodyById.get(id));
        continue;
      }
      firstBodyById.set(id, webhook.body);
      const event = JSON.parse(webhook.body) as { subject: string; data: { state: { code: number } } };
      statesByVisit.set(event.subject, [...(statesByVisit.get(event.subject) ?? []), event.data.state.code]);
    }

    expect(new Set(firstBodyById.keys())).toEqual(acceptedIds);
    expect(received.every((webhook) => acceptedIds.has(webhook.headers["webhook-id"]!))).toBe(true);
    expect(statesByVisit.size).toBe(60);
    for (const [visit, states] of statesByVisit) {
      expect(states, visit).toEqual([1, 2, 3, 4, 5]);
    }
    const repeats = successes().length - firstBodyById.size;
    console.log(`HIS received ${received.length} requests: ${firstBodyById.size} events, ${repeats} repeats with the same id, ${received.length - successes().length} refused during the outage`);
  });

  it("answers a long poll as soon as an event arrives", async () => {
    const clinicId = "e2e-long-poll";
    const token = await createPullClinic(clinicId);
    const polled = fetch(`${gateway.url}/his/v1/${clinicId}/events?after=0&wait=20`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const posted = Date.now();
    const id = await postPayload(visitPayloads(500)[0]!, clinicId);
    const batch = (await (await polled).json()) as { events: { id: string }[] };
    const latencyMs = Date.now() - posted;

    expect(batch.events.map((event) => event.id)).toContain(id);
    // Woken by the event, not by the 20-second wait running out.
    expect(latencyMs).toBeLessThan(20_000);
    console.log(`long poll answered ${latencyMs} ms after the webhook was posted`);
  });
});

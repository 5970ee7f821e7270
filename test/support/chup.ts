import { runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { parseTree } from "jsonc-parser";
import { expect, vi } from "vitest";
import { encodeLikePhp } from "../../src/verify/php-json";
import { signLikeChup } from "../../src/verify/signature";

export const ADMIN_TOKEN = "test-admin-token";
export const CHUP_SECRET = "test-chup-secret";
export const SIGNING_SECRET = `whsec_${btoa("test-signing-key-of-32-bytes-len")}`;

/** The sixteen published Chup examples, byte for byte, keyed by file name. */
export const FIXTURES: Record<string, string> = Object.fromEntries(
  Object.entries(import.meta.glob("../fixtures/chup-docs/*.json", { query: "?raw", import: "default", eager: true }) as Record<string, string>).map(
    ([path, text]) => [path.split("/").pop() ?? path, text],
  ),
);

/** The two published examples that are not valid JSON. */
export const INVALID_FIXTURES = ["06-no-show.json", "14-billing-mark-as-paid.json"];

/** Returns the top-level value node of `key`, or null when the body is not JSON. */
function topLevelValue(body: string, key: string): { offset: number; length: number } | null {
  const errors: unknown[] = [];
  const root = parseTree(body, errors as never[]);
  if (!root || errors.length > 0) {
    return null;
  }
  const property = root.children?.find((child) => child.children?.[0]?.value === key);
  return property?.children?.[1] ?? null;
}

/** Returns the exact text of the top-level payload value, or null when the body is not JSON. */
export function payloadTextOf(body: string): string | null {
  const value = topLevelValue(body, "payload");
  return value ? body.slice(value.offset, value.offset + value.length) : null;
}

/**
 * Replaces the body's top-level signature with one made like Chup's:
 * hex HMAC-SHA256 of PHP's compact json_encode of the payload. The rest of
 * the body stays byte for byte as it was.
 */
export async function resign(body: string, secret = CHUP_SECRET): Promise<string> {
  const payloadText = payloadTextOf(body);
  const signatureNode = topLevelValue(body, "signature");
  if (payloadText === null || signatureNode === null) {
    return body;
  }
  const signature = await signLikeChup(encodeLikePhp(payloadText), secret);
  return `${body.slice(0, signatureNode.offset)}"${signature}"${body.slice(signatureNode.offset + signatureNode.length)}`;
}

export function adminRequest(method: string, path: string, body?: unknown): Promise<Response> {
  return exports.default.fetch(`https://gateway.test${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Configures a push clinic whose HIS is the mock HIS inbox of the same name. */
export async function createClinic(
  clinicId: string,
  options: { secrets?: string[]; format?: "cloudevents" | "fhir"; concurrency?: number; ratePerSecond?: number } = {},
): Promise<void> {
  const response = await adminRequest("PUT", `/admin/v1/clinics/${clinicId}`, {
    name: `Test clinic ${clinicId}`,
    webhookSecrets: options.secrets ?? [CHUP_SECRET],
    delivery: {
      mode: "push",
      format: options.format ?? "cloudevents",
      url: hisInboxUrl(clinicId),
      signingSecret: SIGNING_SECRET,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      ...(options.ratePerSecond === undefined ? {} : { ratePerSecond: options.ratePerSecond }),
    },
  });
  expect(response.status, await response.clone().text()).toBeLessThan(300);
}

export function postWebhook(clinicId: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(`https://gateway.test/webhooks/chup/${clinicId}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

export function hisInboxUrl(inbox: string): string {
  return `${env.MOCK_HIS_ORIGIN}/inbox/${inbox}`;
}

export interface HisDelivery {
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
  status: number;
}

export async function hisReceived(inbox: string): Promise<HisDelivery[]> {
  const response = await fetch(`${env.MOCK_HIS_ORIGIN}/control/${inbox}/received`);
  return response.json();
}

/** Sets the mock HIS's next responses for one inbox, e.g. [{ status: 500 }]. */
export async function scriptHis(inbox: string, responses: { status: number; delayMs?: number }[]): Promise<void> {
  await fetch(`${env.MOCK_HIS_ORIGIN}/control/${inbox}/responses`, { method: "PUT", body: JSON.stringify(responses) });
}

/** Sets the mock HIS's response once its script is used up, e.g. { status: 503 } for an outage. */
export async function setHisDefault(inbox: string, response: { status: number; delayMs?: number; headers?: Record<string, string> }): Promise<void> {
  await fetch(`${env.MOCK_HIS_ORIGIN}/control/${inbox}/default`, { method: "PUT", body: JSON.stringify(response) });
}

/** Makes the mock HIS respond with a fixed status to every webhook whose body contains `match`. */
export async function setHisRules(inbox: string, rules: { match: string; status: number }[]): Promise<void> {
  await fetch(`${env.MOCK_HIS_ORIGIN}/control/${inbox}/rules`, { method: "PUT", body: JSON.stringify(rules) });
}

export async function hisStats(inbox: string): Promise<{ received: number; inFlight: number; maxInFlight: number }> {
  return (await fetch(`${env.MOCK_HIS_ORIGIN}/control/${inbox}/stats`)).json();
}

export function deliveryQueue(clinicId: string) {
  return env.DELIVERY_QUEUE.get(env.DELIVERY_QUEUE.idFromName(clinicId));
}

/** Delivery states of a clinic's events in D1, keyed by event id. */
export async function deliveryStates(clinicId: string): Promise<Record<string, string>> {
  const { results } = await env.DB.prepare("SELECT id, delivery_state FROM events WHERE clinic_id = ?").bind(clinicId).all<{ id: string; delivery_state: string }>();
  return Object.fromEntries(results.map((row) => [row.id, row.delivery_state]));
}

/**
 * Runs the clinic queue's alarm until every event in D1 reaches one of the
 * given states. The alarm may also fire on its own; either way each run
 * delivers what is due.
 */
export async function settleDeliveries(clinicId: string, until: string[] = ["delivered", "dead"]): Promise<Record<string, string>> {
  const queue = deliveryQueue(clinicId);
  let states: Record<string, string> = {};
  await vi.waitFor(
    async () => {
      await runDurableObjectAlarm(queue);
      states = await deliveryStates(clinicId);
      const pending = Object.values(states).filter((state) => !until.includes(state));
      expect(pending).toEqual([]);
    },
    { timeout: 15_000, interval: 50 },
  );
  return states;
}

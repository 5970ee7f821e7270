/**
 * `npm run demo`: runs the sixteen published Chup webhook examples through a
 * running gateway (`npm start`) into a mock HIS, and prints what happened to
 * each one. Environment:
 *
 *   GATEWAY_URL  gateway origin (default http://localhost:$PORT, PORT defaults to 8787)
 *   ADMIN_TOKEN  the gateway's admin token (default "dev-admin-token", as in `npm start`)
 *
 * Each run configures a new clinic, `demo-clinic-<timestamp>`, so a rerun
 * against the same local state shows the full flow again instead of duplicates.
 */
import { createHmac, randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { parseTree, type Node as JsonNode, type ParseError } from "jsonc-parser";
import { encodeLikePhp } from "../verify/php-json.ts";
import { startMockHis, type ReceivedWebhook } from "./mock-his.ts";

const FIXTURES_DIR = new URL("../../test/fixtures/chup-docs/", import.meta.url);
/** The webhook secret the demo clinic shares with the simulated Chup sender. */
const DEMO_CHUP_SECRET = "demo-chup-webhook-secret";
const DELIVERY_WAIT_MS = 20_000;
const POLL_INTERVAL_MS = 250;
const MAX_DETAIL_CHARS = 60;

/** The published examples contain 14 valid webhooks and 2 bodies that are not JSON. */
const EXPECTED_DELIVERED = 14;
const EXPECTED_REJECTED = 2;

interface Outcome {
  file: string;
  httpStatus: number;
  statusWord: string;
  detail: string;
  eventId: string | null;
  delivery: ReceivedWebhook | undefined;
}

const gatewayUrl = (process.env["GATEWAY_URL"] || `http://localhost:${process.env["PORT"] || 8787}`).replace(/\/+$/, "");
const adminToken = process.env["ADMIN_TOKEN"] || "dev-admin-token";

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** Returns the value node of a top-level property. When the key repeats, the last one wins, as in JSON.parse. */
function topLevelValue(root: JsonNode, key: string): JsonNode | undefined {
  let value: JsonNode | undefined;
  for (const property of root.children ?? []) {
    if (property.children?.[0]?.value === key) {
      value = property.children[1];
    }
  }
  return value;
}

/**
 * Replaces the body's top-level signature with the one Chup would send:
 * hex HMAC-SHA256 of PHP's compact json_encode of the payload text. Every
 * other byte stays as published. A body that is not valid JSON, or lacks a
 * payload or signature, is returned unchanged so the demo shows how the
 * gateway rejects it.
 */
function resignLikeChup(body: string): string {
  const errors: ParseError[] = [];
  const root = parseTree(body, errors);
  if (!root || errors.length > 0) {
    return body;
  }
  const payload = topLevelValue(root, "payload");
  const signature = topLevelValue(root, "signature");
  if (!payload || !signature) {
    return body;
  }

  const payloadText = body.slice(payload.offset, payload.offset + payload.length);
  const hex = createHmac("sha256", DEMO_CHUP_SECRET).update(encodeLikePhp(payloadText), "utf8").digest("hex");
  return body.slice(0, signature.offset) + JSON.stringify(hex) + body.slice(signature.offset + signature.length);
}

/** Returns the network error behind a failed fetch, which reports only "fetch failed" and keeps the reason as its cause. */
function networkReason(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  return error.cause instanceof Error ? error.cause.message : error.message;
}

/** Exits with advice when the gateway cannot be reached. */
async function checkGatewayReachable(): Promise<void> {
  try {
    const response = await fetch(`${gatewayUrl}/`, { signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
  } catch (error) {
    fail(`Cannot reach the gateway at ${gatewayUrl} (${networkReason(error)}).\nStart it with \`npm start\` in another terminal, then run \`npm run demo\` again.`);
  }
}

async function configureClinic(clinicId: string, inboxUrl: string): Promise<void> {
  const response = await fetch(`${gatewayUrl}/admin/v1/clinics/${clinicId}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "Demo clinic",
      timezone: "Asia/Kuala_Lumpur",
      webhookSecrets: [DEMO_CHUP_SECRET],
      delivery: { mode: "push", url: inboxUrl, signingSecret: `whsec_${randomBytes(32).toString("base64")}` },
    }),
  });
  if (response.status === 401) {
    fail(`The gateway rejected the admin token (401). Run the demo with the ADMIN_TOKEN that \`npm start\` uses.`);
  }
  if (!response.ok) {
    fail(`Configuring clinic ${clinicId} failed: HTTP ${response.status} ${await response.text()}`);
  }
}

async function sendWebhook(clinicId: string, file: string, body: string): Promise<Omit<Outcome, "delivery">> {
  let response: Response;
  try {
    response = await fetch(`${gatewayUrl}/webhooks/chup/${clinicId}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
  } catch (error) {
    fail(`Sending ${file} to ${gatewayUrl} failed (${networkReason(error)}). Check that \`npm start\` is still running.`);
  }
  const text = await response.text();
  let parsed: { status?: string; eventId?: string; title?: string; detail?: string } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = { detail: text };
  }

  const statusWord = response.ok ? (parsed.status ?? "?") : (parsed.title ?? "error");
  const detail = response.ok ? "" : shorten(parsed.detail ?? "");
  return { file, httpStatus: response.status, statusWord, detail, eventId: response.ok ? (parsed.eventId ?? null) : null };
}

function shorten(text: string): string {
  return text.length <= MAX_DETAIL_CHARS ? text : `${text.slice(0, MAX_DETAIL_CHARS - 1)}…`;
}

/**
 * Polls the mock HIS inbox until every event id has arrived as a webhook-id
 * or the wait runs out. The inbox is read anew each time because the mock
 * HIS creates it on the first delivery.
 */
async function waitForDeliveries(readInbox: () => ReceivedWebhook[], eventIds: string[]): Promise<void> {
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  const arrived = () => new Set(readInbox().map((webhook) => webhook.headers["webhook-id"]));
  while (Date.now() < deadline && !eventIds.every((id) => arrived().has(id))) {
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function cloudEventType(webhook: ReceivedWebhook | undefined): string {
  if (!webhook) {
    return "";
  }
  try {
    return String((JSON.parse(webhook.body) as { type?: unknown }).type ?? "");
  } catch {
    return "(body not JSON)";
  }
}

function printTable(outcomes: Outcome[]): void {
  const rows = [
    ["file", "HTTP", "status", "HIS", "CloudEvent type", "detail"],
    ...outcomes.map((outcome) => [
      outcome.file,
      String(outcome.httpStatus),
      outcome.statusWord,
      outcome.delivery ? "yes" : "no",
      cloudEventType(outcome.delivery),
      outcome.detail,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) {
    console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd());
  }
}

await checkGatewayReachable();

const his = await startMockHis();
try {
  const clinicId = `demo-clinic-${Date.now()}`;
  await configureClinic(clinicId, `${his.origin}/inbox/${clinicId}`);
  console.log(`Gateway ${gatewayUrl}, clinic ${clinicId}, mock HIS ${his.origin}/inbox/${clinicId}\n`);

  const files = (await readdir(FIXTURES_DIR)).filter((name) => name.endsWith(".json")).sort();
  const sent: Omit<Outcome, "delivery">[] = [];
  for (const file of files) {
    const published = await readFile(new URL(file, FIXTURES_DIR), "utf8");
    sent.push(await sendWebhook(clinicId, file, resignLikeChup(published)));
  }

  // Only a 202 starts a delivery, because a duplicate was relayed when it first arrived.
  const acceptedIds = sent.filter((outcome) => outcome.httpStatus === 202 && outcome.eventId).map((outcome) => outcome.eventId!);
  await waitForDeliveries(() => his.received.get(clinicId) ?? [], acceptedIds);
  const received = his.received.get(clinicId) ?? [];

  const outcomes = sent.map((outcome) => ({
    ...outcome,
    delivery: outcome.eventId ? received.find((webhook) => webhook.headers["webhook-id"] === outcome.eventId) : undefined,
  }));
  printTable(outcomes);

  const delivered = outcomes.filter((outcome) => outcome.delivery).length;
  const rejected = outcomes.filter((outcome) => outcome.httpStatus >= 400);
  const notDelivered = acceptedIds.length - outcomes.filter((outcome) => outcome.httpStatus === 202 && outcome.delivery).length;
  console.log(
    `\n${delivered} delivered, ${rejected.length} rejected` +
      (notDelivered > 0 ? `, ${notDelivered} accepted but not at the HIS after ${DELIVERY_WAIT_MS / 1000} s` : ""),
  );

  const expected = delivered === EXPECTED_DELIVERED && rejected.length === EXPECTED_REJECTED && rejected.every((outcome) => outcome.httpStatus === 400);
  if (!expected) {
    console.error(`Expected ${EXPECTED_DELIVERED} delivered and ${EXPECTED_REJECTED} rejected with HTTP 400. See the rows above and the \`npm start\` log.`);
    process.exitCode = 1;
  }
} finally {
  await his.close();
}

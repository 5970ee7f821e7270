import { createHmac } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockHis, startMockHis } from "../../src/tools/mock-his.ts";
import { encodeLikePhp } from "../../src/verify/php-json.ts";
import { type Gateway, startGateway } from "./processes.ts";

/*
 * Scenario: a push clinic whose HIS is down (503) while webhooks arrive, and
 * which rejects two visits' events with 400, so they become dead letters. A
 * webhook signed with a secret the clinic does not have yet is quarantined.
 * An operator logs in to /admin in Chromium and checks the backlog and the
 * dead letters, the HIS is fixed, and the operator replays one dead letter,
 * discards the other and re-ingests the quarantined request after adding
 * the secret. The page, reloading itself, ends with every event delivered
 * except the discarded one.
 */

const CLINIC_ID = "e2e-ops-clinic";
const CHUP_SECRET = "e2e-ops-chup-secret";
const ROTATED_CHUP_SECRET = "e2e-ops-rotated-chup-secret";
const SIGNING_SECRET = `whsec_${Buffer.from("e2e-ops-signing-key-32-bytes-lng").toString("base64")}`;
const REPLAYED_VISIT = 710_001;
const BACKLOG_VISIT = 710_002;
const DISCARDED_VISIT = 710_003;
const QUARANTINED_VISIT = 710_004;
const SCREENSHOT_PATH = fileURLToPath(new URL("./screenshots/ops-page.png", import.meta.url));
const OUTAGE_SCREENSHOT_PATH = fileURLToPath(new URL("./screenshots/ops-page-outage.png", import.meta.url));
const MAX_SCREENSHOT_BYTES = 400_000;
const CHROMIUM_PATH = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

let gateway: Gateway;
let his: MockHis;
let browser: Browser;

async function admin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${gateway.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function controlHis(action: "default" | "rules", body: unknown): Promise<void> {
  const response = await fetch(`${his.origin}/control/${CLINIC_ID}/${action}`, { method: "PUT", body: JSON.stringify(body) });
  expect(response.status).toBe(204);
}

function visitPayload(visit: number, state: 1 | 2): Record<string, unknown> {
  const at = new Date(Date.UTC(2024, 2, 5, 1, state)).toISOString();
  return {
    event: state === 1 ? "live_queue_created" : "live_queue_updated",
    timestamp: at,
    data: { id: visit, registered_client_id: visit + 1000, service_id: 101, service_name: "Registration", state, state_name: state === 1 ? "In Queue" : "Alerted", notes: [], created_at: at, updated_at: at },
  };
}

/** Posts a payload signed the way Chup signs it; returns the gateway's response. */
async function postWebhook(payload: Record<string, unknown>, secret: string): Promise<Response> {
  const text = JSON.stringify(payload);
  const signature = createHmac("sha256", secret).update(encodeLikePhp(text)).digest("hex");
  return fetch(`${gateway.url}/webhooks/chup/${CLINIC_ID}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: `{"payload":${text},"signature":"${signature}"}`,
  });
}

async function acceptedEventId(payload: Record<string, unknown>): Promise<string> {
  const response = await postWebhook(payload, CHUP_SECRET);
  expect(response.status).toBe(202);
  return ((await response.json()) as { eventId: string }).eventId;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function deadLetterIds(): Promise<string[]> {
  const body = (await (await admin("GET", `/admin/v1/clinics/${CLINIC_ID}/dead-letters`)).json()) as { deadLetters: { eventId: string }[] };
  return body.deadLetters.map((letter) => letter.eventId);
}

async function queueDepth(): Promise<number> {
  return ((await (await admin("GET", `/admin/v1/clinics/${CLINIC_ID}/queue`)).json()) as { depth: number }).depth;
}

function clinicSection(page: Page) {
  return page.locator(`section[data-clinic="${CLINIC_ID}"]`);
}

async function noticeText(page: Page): Promise<string> {
  return (await page.locator("p.notice").first().textContent()) ?? "";
}

beforeAll(async () => {
  if (!statSync(CHROMIUM_PATH, { throwIfNoEntry: false })) {
    throw new Error(`${CHROMIUM_PATH} is missing; install it with: apt-get update && apt-get install -y chromium`);
  }
  [gateway, his, browser] = await Promise.all([startGateway(), startMockHis(), chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })]);
  const created = await admin("PUT", `/admin/v1/clinics/${CLINIC_ID}`, {
    name: "Klinik Operasi E2E",
    webhookSecrets: [CHUP_SECRET],
    delivery: { mode: "push", url: `${his.origin}/inbox/${CLINIC_ID}`, signingSecret: SIGNING_SECRET },
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await Promise.all([browser?.close(), gateway?.stop(), his?.close()]);
});

describe("operations page", () => {
  it("shows an outage and its recovery", async () => {
    // The HIS is down, and rejects two visits outright.
    await controlHis("rules", [
      { match: `visits/${REPLAYED_VISIT}`, status: 400, body: "unknown visit" },
      { match: `visits/${DISCARDED_VISIT}`, status: 400, body: "unknown visit" },
    ]);
    await controlHis("default", { status: 503 });

    const replayedId = await acceptedEventId(visitPayload(REPLAYED_VISIT, 1));
    const discardedId = await acceptedEventId(visitPayload(DISCARDED_VISIT, 1));
    const backlogIds = [await acceptedEventId(visitPayload(BACKLOG_VISIT, 1)), await acceptedEventId(visitPayload(BACKLOG_VISIT, 2))];
    const rejected = await postWebhook(visitPayload(QUARANTINED_VISIT, 1), ROTATED_CHUP_SECRET);
    expect(rejected.status).toBe(401);
    const quarantineId = ((await rejected.json()) as { quarantineId: string }).quarantineId;

    await waitFor(async () => (await deadLetterIds()).length === 2 && (await queueDepth()) > 0, 30_000, "two dead letters and a backlog");

    // Log in through the form, recording every URL the browser requests and every page it loads.
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const visitedUrls: string[] = [];
    const pageHtml: string[] = [];
    page.on("request", (request) => visitedUrls.push(request.url()));
    const dashboardUrl = `${gateway.url}/admin`;

    await page.goto(dashboardUrl);
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    pageHtml.push(await page.content());
    await page.locator("#token").fill(gateway.adminToken);
    await Promise.all([page.waitForURL(dashboardUrl), page.getByRole("button", { name: "Log in" }).click()]);

    const cookies = await context.cookies();
    const session = cookies.find((cookie) => cookie.name === "chup_ops_session");
    expect(session).toBeDefined();
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Strict");
    expect(session?.path).toBe("/admin");
    expect(session?.value).not.toContain(gateway.adminToken);
    expect(session!.expires * 1000 - Date.now()).toBeGreaterThan(3 * 60 * 60 * 1000);
    expect(session!.expires * 1000 - Date.now()).toBeLessThanOrEqual(4 * 60 * 60 * 1000);

    // The outage as the page shows it.
    const section = clinicSection(page);
    const depth = Number(await section.locator('[data-field="depth"]').textContent());
    expect(depth).toBeGreaterThan(0);
    expect(await section.locator('[data-field="dead"]').textContent()).toBe("2");
    const deadLetters = section.locator('table[data-table="dead-letters"]');
    expect(await deadLetters.locator(`tr[data-event-id="${replayedId}"]`).count()).toBe(1);
    expect(await deadLetters.locator(`tr[data-event-id="${discardedId}"]`).count()).toBe(1);
    expect(await deadLetters.locator(`tr[data-event-id="${replayedId}"]`).textContent()).toContain("400");
    const quarantineRow = section.locator(`table[data-table="quarantine"] tr[data-quarantine-id="${quarantineId}"]`);
    expect(await quarantineRow.textContent()).toContain("invalid-signature");
    for (const id of backlogIds) {
      expect(await section.locator(`table[data-table="events"] tr[data-event-id="${id}"]`).getAttribute("data-state")).toMatch(/^(received|queued|retrying)$/);
    }
    pageHtml.push(await page.content());
    mkdirSync(dirname(OUTAGE_SCREENSHOT_PATH), { recursive: true });
    await page.screenshot({ path: OUTAGE_SCREENSHOT_PATH, fullPage: true });
    expect(statSync(OUTAGE_SCREENSHOT_PATH).size).toBeLessThan(MAX_SCREENSHOT_BYTES);

    // A form without this session's CSRF token changes nothing.
    const forged = await page.request.post(`${gateway.url}/admin/clinics/${CLINIC_ID}/dead-letters/${replayedId}/replay`, {
      form: { csrf: "not-this-sessions-token" },
      headers: { origin: gateway.url },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    expect(await deadLetterIds()).toContain(replayedId);

    // After the HIS is fixed, the operator replays one dead letter and discards the other.
    await controlHis("rules", []);
    await controlHis("default", { status: 200 });

    await page.goto(dashboardUrl);
    const replayRow = clinicSection(page).locator(`table[data-table="dead-letters"] tr[data-event-id="${replayedId}"]`);
    await Promise.all([page.waitForURL(`${dashboardUrl}#clinic-${CLINIC_ID}`), replayRow.getByRole("button", { name: "Replay" }).click()]);
    expect(await noticeText(page)).toContain(`Event ${replayedId} is back in the queue`);
    expect(await deadLetterIds()).not.toContain(replayedId);

    await page.goto(dashboardUrl);
    const discardRow = clinicSection(page).locator(`table[data-table="dead-letters"] tr[data-event-id="${discardedId}"]`);
    await discardRow.locator('input[name="reason"]').fill("Test visit, not a real patient");
    await Promise.all([page.waitForURL(`${dashboardUrl}#clinic-${CLINIC_ID}`), discardRow.getByRole("button", { name: "Discard" }).click()]);
    expect(await noticeText(page)).toContain(`Event ${discardedId} was discarded`);
    expect(await deadLetterIds()).toEqual([]);

    // The clinic's new Chup secret is added, so the quarantined request now verifies.
    expect((await admin("POST", `/admin/v1/clinics/${CLINIC_ID}/webhook-secrets`, { secret: ROTATED_CHUP_SECRET })).status).toBe(200);
    await page.goto(dashboardUrl);
    const reingestRow = clinicSection(page).locator(`table[data-table="quarantine"] tr[data-quarantine-id="${quarantineId}"]`);
    await Promise.all([page.waitForURL(`${dashboardUrl}#clinic-${CLINIC_ID}`), reingestRow.getByRole("button", { name: "Re-ingest" }).click()]);
    const reingestNotice = await noticeText(page);
    expect(reingestNotice).toContain(`Request ${quarantineId} was accepted as event`);
    const reingestedId = /event (evt_[0-9a-f]{32})/.exec(reingestNotice)?.[1];
    expect(reingestedId).toBeDefined();

    // The page reloads itself, never the test, until every event shows as delivered.
    const events = clinicSection(page).locator('table[data-table="events"]');
    for (const id of [replayedId, ...backlogIds, reingestedId!]) {
      await events.locator(`tr[data-event-id="${id}"][data-state="delivered"]`).waitFor({ timeout: 150_000 });
    }
    await clinicSection(page).locator('[data-field="depth"]', { hasText: /^0$/ }).waitFor({ timeout: 30_000 });
    expect(await events.locator(`tr[data-event-id="${discardedId}"]`).getAttribute("data-state")).toBe("discarded");
    expect(await clinicSection(page).locator('table[data-table="dead-letters"]').count()).toBe(0);
    expect(await clinicSection(page).locator('[data-field="dead"]').textContent()).toBe("0");
    expect(await clinicSection(page).locator(`tr[data-quarantine-id="${quarantineId}"]`).textContent()).toContain(reingestedId!);
    pageHtml.push(await page.content());

    await page.screenshot({ path: SCREENSHOT_PATH, fullPage: true });
    expect(statSync(SCREENSHOT_PATH).size).toBeLessThan(MAX_SCREENSHOT_BYTES);

    const delivered = (his.received.get(CLINIC_ID) ?? []).filter((webhook) => webhook.status === 200).map((webhook) => webhook.headers["webhook-id"]);
    expect(delivered).toContain(replayedId);
    expect(delivered).not.toContain(discardedId);

    // Logging out clears the session, so the dashboard shows the login form again.
    await page.goto(dashboardUrl);
    await Promise.all([page.waitForURL(`${dashboardUrl}/login`), page.getByRole("button", { name: "Log out" }).click()]);
    expect(await noticeText(page)).toContain("You are logged out.");
    expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain("chup_ops_session");
    await page.goto(dashboardUrl);
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    pageHtml.push(await page.content());

    // No secret ever reached a URL or a page.
    expect(visitedUrls.length).toBeGreaterThan(5);
    for (const url of visitedUrls) {
      expect(url).not.toContain(gateway.adminToken);
      expect(url).not.toContain(encodeURIComponent(gateway.adminToken));
    }
    for (const html of pageHtml) {
      for (const secret of [gateway.adminToken, CHUP_SECRET, ROTATED_CHUP_SECRET, SIGNING_SECRET]) {
        expect(html).not.toContain(secret);
      }
    }
    await context.close();
  });
});

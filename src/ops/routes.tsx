/**
 * The operations page under /admin: a login form, the dashboard, and the
 * forms that replay or discard dead letters and re-ingest quarantined
 * requests. Routes are declared one by one, never with use("*"), because a
 * wildcard here would also run for /admin/v1/* once mounted under /admin.
 */
import { zValidator } from "@hono/zod-validator";
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { createMiddleware } from "hono/factory";
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import { NONCE, secureHeaders, type SecureHeadersVariables } from "hono/secure-headers";
import { z } from "zod";
import type { Database } from "../db/client";
import { CLINIC_ID_PATTERN, clinicParam, eventParam, quarantineParam } from "../http/params";
import { validationProblem } from "../http/validation";
import { log } from "../log";
import { type AdminResult, callAdmin, type ClinicSummary, type DeadLetter, type EventSummary, type QuarantineEntry, type QueueStats } from "./admin-api";
import { type ClinicView, DashboardPage } from "./dashboard";
import { LoginPage, MessagePage, type Notice, OPS_PATH } from "./layout";
import { csrfToken, isAdminToken, isValidCsrfToken, issueSession, SESSION_LIFETIME_SECONDS, type Session, verifySession } from "./session";

type OpsEnv = {
  Bindings: Env;
  Variables: { db: Database; session: Session; csrf: string; adminToken: string } & SecureHeadersVariables;
};
type OpsContext = Context<OpsEnv>;

const SESSION_COOKIE = "chup_ops_session";
const NOTICE_COOKIE = "chup_ops_notice";
const NOTICE_LIFETIME_SECONDS = 60;
const NOTICE_MAX_LENGTH = 400;

const DEAD_LETTERS_SHOWN = 20;
const QUARANTINE_SHOWN = 5;
const EVENTS_SHOWN = 10;


/** CSP with a per-response nonce for the one inline style sheet and script. The page loads nothing else. */
const pageHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    styleSrc: [NONCE],
    scriptSrc: [NONCE],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  // HSTS is the deployment's decision, not this page's.
  strictTransportSecurity: false,
});

const noStore = createMiddleware(async (c, next) => {
  await next();
  c.header("cache-control", "no-store");
});

/** Rejects form POSTs whose Origin or Sec-Fetch-Site is another site, ahead of the CSRF token check. */
const sameOrigin = csrf();

/** True for plain HTTP on a loopback host, the one case where the cookies go without Secure so local `wrangler dev` works. */
function isLoopbackHttp(url: URL): boolean {
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

function cookieOptions(c: OpsContext, maxAge: number) {
  return { path: OPS_PATH, httpOnly: true, secure: !isLoopbackHttp(new URL(c.req.url)), sameSite: "Strict" as const, maxAge };
}

function setNotice(c: OpsContext, notice: Notice): void {
  const text = notice.text.length > NOTICE_MAX_LENGTH ? `${notice.text.slice(0, NOTICE_MAX_LENGTH - 1)}…` : notice.text;
  setCookie(c, NOTICE_COOKIE, JSON.stringify({ kind: notice.kind, text }), cookieOptions(c, NOTICE_LIFETIME_SECONDS));
}

/** Returns the notice left by the previous form and clears it, so it shows once. */
function takeNotice(c: OpsContext): Notice | null {
  const value = getCookie(c, NOTICE_COOKIE);
  if (value === undefined) {
    return null;
  }
  deleteCookie(c, NOTICE_COOKIE, cookieOptions(c, 0));
  try {
    const parsed = JSON.parse(value) as Partial<Notice>;
    if ((parsed.kind === "ok" || parsed.kind === "error") && typeof parsed.text === "string") {
      return { kind: parsed.kind, text: parsed.text.slice(0, NOTICE_MAX_LENGTH) };
    }
  } catch {
    // A malformed notice cookie is dropped.
  }
  return null;
}

async function renderPage(c: OpsContext, page: Child, status: 200 | 400 | 401 | 403 | 503 = 200): Promise<Response> {
  return c.html(
    <>
      {raw("<!DOCTYPE html>")}
      {page}
    </>,
    status,
  );
}

function nonceOf(c: OpsContext): string {
  return c.var.secureHeadersNonce ?? "";
}

/** Sets the session and its CSRF token, or sends the browser to the login form. */
const requireSession = createMiddleware<OpsEnv>(async (c, next) => {
  const adminToken = c.env.ADMIN_TOKEN;
  const session = adminToken ? await verifySession(adminToken, getCookie(c, SESSION_COOKIE), Date.now()) : null;
  if (!adminToken || session === null) {
    if (c.req.method === "POST") {
      setNotice(c, { kind: "error", text: "Your session has ended, so the action was not carried out. Log in and try again." });
    }
    return c.redirect(`${OPS_PATH}/login`, 303);
  }
  c.set("adminToken", adminToken);
  c.set("session", session);
  c.set("csrf", await csrfToken(adminToken, session));
  await next();
});

/** Rejects a form whose hidden `csrf` field is not this session's CSRF token. */
const requireCsrfToken = createMiddleware<OpsEnv>(async (c, next) => {
  const form = await c.req.parseBody();
  const given = typeof form.csrf === "string" ? form.csrf : "";
  if (!(await isValidCsrfToken(c.var.adminToken, c.var.session, given))) {
    log.warn("ops form rejected: CSRF token missing or invalid", { path: c.req.routePath });
    return renderPage(c, <MessagePage nonce={nonceOf(c)} title="Form expired" text="The form did not carry this session's CSRF token, so nothing was changed. Reload the operations page and try again." />, 403);
  }
  await next();
});

/** The dashboard URL to return to after a form: narrowed to one clinic when the form came from that view. */
async function returnUrl(c: OpsContext, clinicId: string): Promise<string> {
  const form = await c.req.parseBody();
  const focused = typeof form.focus === "string" && form.focus === clinicId;
  return focused ? `${OPS_PATH}?clinic=${clinicId}#clinic-${clinicId}` : `${OPS_PATH}#clinic-${clinicId}`;
}

function problemNotice(result: AdminResult<unknown>): Notice {
  const detail = result.ok ? "" : (result.problem?.detail ?? `The admin API returned status ${result.status}.`);
  return { kind: "error", text: detail };
}

/** Loads every part of one clinic's section. A part that fails to load is shown as an error in its place. */
async function loadClinicView(c: OpsContext, clinic: ClinicSummary): Promise<ClinicView> {
  const base = `/${clinic.id}`;
  const [stats, deadLetters, quarantine, events] = await Promise.all([
    callAdmin<QueueStats>(c, "GET", `${base}/queue`),
    callAdmin<{ deadLetters: DeadLetter[] }>(c, "GET", `${base}/dead-letters?limit=${DEAD_LETTERS_SHOWN}`),
    callAdmin<{ quarantine: QuarantineEntry[] }>(c, "GET", `${base}/quarantine?limit=${QUARANTINE_SHOWN}`),
    callAdmin<{ events: EventSummary[] }>(c, "GET", `${base}/events?limit=${EVENTS_SHOWN}`),
  ]);
  return { clinic, stats, deadLetters, quarantine, events };
}

/** Routes of the operations page, to be mounted at OPS_PATH. */
export const opsRoutes = new Hono<OpsEnv>()
  .get("/", pageHeaders, noStore, requireSession, async (c) => {
    const requested = c.req.query("clinic");
    const focus = requested !== undefined && CLINIC_ID_PATTERN.test(requested) ? requested : null;
    const notice = takeNotice(c);
    const listed = await callAdmin<{ clinics: ClinicSummary[] }>(c, "GET", "");
    if (!listed.ok) {
      return renderPage(c, <MessagePage nonce={nonceOf(c)} title="Clinics unavailable" text={problemNotice(listed).text} />, 503);
    }

    const clinics = focus === null ? listed.body.clinics : listed.body.clinics.filter((clinic) => clinic.id === focus);
    // NOTE: every reload makes four admin API calls per clinic, so with many clinics narrow the view with ?clinic=.
    const views = await Promise.all(clinics.map((clinic) => loadClinicView(c, clinic)));
    const missing: Notice | null = focus !== null && clinics.length === 0 ? { kind: "error", text: `No clinic has the id "${focus}".` } : null;
    return renderPage(c, <DashboardPage nonce={nonceOf(c)} csrf={c.var.csrf} views={views} focus={focus} notice={notice ?? missing} renderedAt={new Date()} />);
  })

  .get("/login", pageHeaders, noStore, async (c) => {
    const adminToken = c.env.ADMIN_TOKEN;
    if (!adminToken) {
      const notice: Notice = { kind: "error", text: "The ADMIN_TOKEN secret is not set on this gateway; set it with `wrangler secret put ADMIN_TOKEN`." };
      return renderPage(c, <LoginPage nonce={nonceOf(c)} notice={notice} disabled />, 503);
    }
    if ((await verifySession(adminToken, getCookie(c, SESSION_COOKIE), Date.now())) !== null) {
      return c.redirect(OPS_PATH, 303);
    }
    return renderPage(c, <LoginPage nonce={nonceOf(c)} notice={takeNotice(c)} />);
  })

  .post("/login", pageHeaders, noStore, sameOrigin, async (c) => {
    const adminToken = c.env.ADMIN_TOKEN;
    const url = new URL(c.req.url);
    if (!adminToken) {
      const notice: Notice = { kind: "error", text: "The ADMIN_TOKEN secret is not set on this gateway; set it with `wrangler secret put ADMIN_TOKEN`." };
      return renderPage(c, <LoginPage nonce={nonceOf(c)} notice={notice} disabled />, 503);
    }
    if (url.protocol !== "https:" && !isLoopbackHttp(url)) {
      const notice: Notice = { kind: "error", text: "Open this page over HTTPS. The session cookie is Secure, so a browser does not keep it over plain HTTP." };
      return renderPage(c, <LoginPage nonce={nonceOf(c)} notice={notice} />, 400);
    }

    const form = await c.req.parseBody();
    const token = typeof form.token === "string" ? form.token.trim() : "";
    if (token === "" || !(await isAdminToken(token, adminToken))) {
      log.warn("ops login failed: the token does not match ADMIN_TOKEN", {});
      return renderPage(c, <LoginPage nonce={nonceOf(c)} notice={{ kind: "error", text: "The token does not match the gateway's admin token." }} />, 401);
    }

    setCookie(c, SESSION_COOKIE, await issueSession(adminToken, Date.now()), cookieOptions(c, SESSION_LIFETIME_SECONDS));
    log.info("ops login", {});
    return c.redirect(OPS_PATH, 303);
  })

  .post("/logout", sameOrigin, requireSession, requireCsrfToken, async (c) => {
    deleteCookie(c, SESSION_COOKIE, cookieOptions(c, 0));
    setNotice(c, { kind: "ok", text: "You are logged out." });
    return c.redirect(`${OPS_PATH}/login`, 303);
  })

  .post("/clinics/:clinicId/dead-letters/:eventId/replay", sameOrigin, zValidator("param", eventParam, validationProblem), requireSession, requireCsrfToken, async (c) => {
    const { clinicId, eventId } = c.req.valid("param");
    const result = await callAdmin<{ replayed: number }>(c, "POST", `/${clinicId}/dead-letters/replay`, { eventIds: [eventId] });
    if (!result.ok) {
      setNotice(c, problemNotice(result));
    } else if (result.body.replayed === 0) {
      setNotice(c, { kind: "error", text: `Event ${eventId} is no longer a dead letter of ${clinicId}, so nothing was replayed.` });
    } else {
      setNotice(c, { kind: "ok", text: `Event ${eventId} is back in the queue of ${clinicId} with a fresh retry budget.` });
    }
    return c.redirect(await returnUrl(c, clinicId), 303);
  })

  .post("/clinics/:clinicId/dead-letters/:eventId/discard", sameOrigin, zValidator("param", eventParam, validationProblem), requireSession, requireCsrfToken, async (c) => {
    const { clinicId, eventId } = c.req.valid("param");
    const form = await c.req.parseBody();
    const reason = typeof form.reason === "string" ? form.reason : "";
    const result = await callAdmin<null>(c, "POST", `/${clinicId}/dead-letters/${eventId}/discard`, { reason });
    setNotice(c, result.ok ? { kind: "ok", text: `Event ${eventId} was discarded with the reason "${reason.trim()}".` } : problemNotice(result));
    return c.redirect(await returnUrl(c, clinicId), 303);
  })

  .post("/clinics/:clinicId/quarantine/:quarantineId/reingest", sameOrigin, zValidator("param", quarantineParam, validationProblem), requireSession, requireCsrfToken, async (c) => {
    const { clinicId, quarantineId } = c.req.valid("param");
    const result = await callAdmin<{ status: "accepted" | "duplicate"; eventId: string }>(c, "POST", `/${clinicId}/quarantine/${quarantineId}/reingest`);
    if (!result.ok) {
      setNotice(c, problemNotice(result));
    } else if (result.body.status === "duplicate") {
      setNotice(c, { kind: "ok", text: `Request ${quarantineId} is event ${result.body.eventId}, which was accepted before, so nothing new was queued.` });
    } else {
      setNotice(c, { kind: "ok", text: `Request ${quarantineId} was accepted as event ${result.body.eventId}.` });
    }
    return c.redirect(await returnUrl(c, clinicId), 303);
  });

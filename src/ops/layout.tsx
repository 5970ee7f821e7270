import type { Child } from "hono/jsx";
import { REFRESH_SCRIPT, REFRESH_SECONDS, STYLE_SHEET } from "./assets";

/** Base path the operations routes are mounted under, also the session cookie's Path. */
export const OPS_PATH = "/admin";

/** A message shown once above the page after a form was handled. */
export interface Notice {
  kind: "ok" | "error";
  text: string;
}

export function NoticeBanner(props: { notice: Notice | null }) {
  if (props.notice === null) {
    return null;
  }
  return (
    <p class={`notice ${props.notice.kind}`} role={props.notice.kind === "error" ? "alert" : "status"}>
      {props.notice.text}
    </p>
  );
}

/**
 * Renders the HTML document around every operations page. `nonce` is the
 * CSP nonce of the inline style and script. `autoRefresh` adds the reload
 * loop, with a meta refresh for browsers without JavaScript.
 */
export function Layout(props: { title: string; nonce: string; autoRefresh?: boolean; headerRight?: Child; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{props.title}</title>
        <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: STYLE_SHEET }} />
        {props.autoRefresh ? (
          <noscript>
            <meta http-equiv="refresh" content={String(REFRESH_SECONDS)} />
          </noscript>
        ) : null}
      </head>
      <body>
        <header>
          <h1>Chup edge gateway · Operations</h1>
          {props.headerRight}
        </header>
        <main>{props.children}</main>
        {props.autoRefresh ? <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: REFRESH_SCRIPT }} /> : null}
      </body>
    </html>
  );
}

/** Renders the login form, which sends the token in a POST body, never in a URL. */
export function LoginPage(props: { nonce: string; notice: Notice | null; disabled?: boolean }) {
  return (
    <Layout title="Log in · Chup edge gateway" nonce={props.nonce}>
      <form class="login" method="post" action={`${OPS_PATH}/login`}>
        <h2>Log in</h2>
        <NoticeBanner notice={props.notice} />
        <label for="token">Admin token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus disabled={props.disabled} />
        <button class="primary" type="submit" disabled={props.disabled}>
          Log in
        </button>
        <p class="muted">The session lasts four hours. Closing the browser does not end it; use Log out.</p>
      </form>
    </Layout>
  );
}

/** Renders one message and a link back, for requests the page cannot carry out. */
export function MessagePage(props: { nonce: string; title: string; text: string }) {
  return (
    <Layout title={`${props.title} · Chup edge gateway`} nonce={props.nonce}>
      <section class="clinic">
        <h2>{props.title}</h2>
        <p>{props.text}</p>
        <p>
          <a href={OPS_PATH}>Back to the operations page</a>
        </p>
      </section>
    </Layout>
  );
}

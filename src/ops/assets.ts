/** Inline style sheet and script of the operations page, sent with a CSP nonce. */

/** Seconds between automatic reloads of the dashboard. */
export const REFRESH_SECONDS = 10;

export const STYLE_SHEET = `
:root { color-scheme: light; --line: #d8dde3; --muted: #5b6672; --ok: #1f7a3d; --warn: #a15c00; --bad: #b3261e; --accent: #1d4f91; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1c2430; background: #f4f6f8; }
header { display: flex; align-items: center; gap: 16px; padding: 10px 24px; background: #1c2430; color: #fff; }
header h1 { margin: 0; font-size: 17px; font-weight: 600; }
header .meta { margin-left: auto; font-size: 12px; color: #c9d2dc; }
header form { margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 40px; }
h2 { margin: 0; font-size: 17px; }
h3 { margin: 18px 0 6px; font-size: 14px; color: #33404d; }
section.clinic { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 18px; margin: 16px 0; }
.clinic-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 10px; }
.muted { color: var(--muted); font-size: 12px; }
.figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 4px; }
.figure { min-width: 130px; padding: 6px 12px; border: 1px solid var(--line); border-radius: 5px; background: #fafbfc; }
.figure .label { display: block; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.figure .value { font-size: 20px; font-weight: 600; }
.figure.alert .value { color: var(--bad); }
table { width: 100%; border-collapse: collapse; background: #fff; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: #f7f9fa; }
td.num, th.num { text-align: right; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
td code, td.time, button { white-space: nowrap; }
.overview { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; background: #e7ebef; color: #33404d; }
.badge.delivered, .badge.closed, .badge.acked { background: #dcf1e3; color: var(--ok); }
.badge.queued, .badge.retrying, .badge.pending, .badge.leased { background: #fdefd9; color: var(--warn); }
.badge.dead, .badge.open, .badge.expired, .badge.disabled, .badge.paused { background: #fbe1df; color: var(--bad); }
.notice { padding: 8px 12px; border-radius: 5px; margin: 12px 0; border: 1px solid; }
.notice.ok { background: #e8f5ec; border-color: #b7dfc3; }
.notice.error { background: #fdeceb; border-color: #f1b9b4; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.actions form { display: flex; gap: 4px; margin: 0; }
button { font: inherit; font-size: 13px; padding: 3px 10px; border: 1px solid #9aa6b2; border-radius: 4px; background: #fff; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { border-color: var(--bad); color: var(--bad); }
header button { background: transparent; color: #fff; border-color: #6b7785; }
input[type=text], input[type=password] { font: inherit; font-size: 13px; padding: 3px 6px; border: 1px solid #9aa6b2; border-radius: 4px; }
input[name=reason] { width: 190px; }
.empty { color: var(--muted); font-style: italic; padding: 4px 0; }
.login { max-width: 380px; margin: 80px auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 22px 26px; }
.login h2 { margin-bottom: 14px; }
.login label { display: block; margin-bottom: 4px; font-weight: 600; }
.login input { width: 100%; padding: 6px 8px; margin-bottom: 14px; }
.login button { padding: 6px 16px; }
`;

/**
 * Reloads the page every REFRESH_SECONDS. A reload is skipped while a
 * discard reason contains text or within 3 s of a click or key press, so it
 * does not wipe a half-written reason or cut into a form being submitted.
 */
export const REFRESH_SCRIPT = `
let lastInputAt = 0;
for (const type of ["pointerdown", "keydown", "focusin"]) {
  document.addEventListener(type, () => { lastInputAt = Date.now(); });
}
setInterval(() => {
  const typing = Array.from(document.querySelectorAll("input[name=reason]")).some((input) => input.value !== "");
  if (!typing && Date.now() - lastInputAt > 3000) location.reload();
}, ${REFRESH_SECONDS * 1000});
`;

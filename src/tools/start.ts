/**
 * `npm start`: applies the D1 migrations to the local database, then runs
 * `wrangler dev` with local D1, KV and Durable Object state (kept under
 * .wrangler/state). Environment:
 *
 *   PORT         port to listen on (default 8787)
 *   ADMIN_TOKEN  bearer token for /admin/v1 (default "dev-admin-token", for local use only)
 *   SECRETS_KEY  base64 of 32 bytes, the key clinic secrets are encrypted under in D1
 *                (default: a fixed local development key, never for real secrets)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const DEFAULT_PORT = 8787;
const DEFAULT_ADMIN_TOKEN = "dev-admin-token";
/** Base64 of the 32 bytes "local-development-only-secrets!!"; real deployments set their own key. */
const DEFAULT_SECRETS_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1zZWNyZXRzISE=";
/** How long to wait for `wrangler dev` to respond before the ready line gives way to a warning. */
const READY_TIMEOUT_MS = 120_000;

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Runs wrangler's own bin script with the current Node instead of the
 * node_modules/.bin shim, so no shell is involved on any platform. On
 * Windows the .cmd shim needs `shell: true`, which would let cmd.exe
 * reinterpret characters in ADMIN_TOKEN.
 */
function wranglerScript(): string {
  const require = createRequire(import.meta.url);
  const packageJsonPath = require.resolve("wrangler/package.json");
  const { bin } = require(packageJsonPath) as { bin: Record<string, string> };
  const script = bin["wrangler"];
  if (!script) {
    throw new Error(`wrangler's package.json (${packageJsonPath}) declares no "wrangler" bin. Reinstall it with \`npm ci\`.`);
  }
  return join(dirname(packageJsonPath), script);
}

function parsePort(text: string | undefined): number {
  if (text === undefined || text === "") {
    return DEFAULT_PORT;
  }
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`Invalid PORT "${text}": set it to an integer from 1 to 65535, or unset it to use ${DEFAULT_PORT}.`);
    process.exit(1);
  }
  return port;
}

let child: ChildProcess | undefined;
let childRunning = false;
/** The SIGINT or SIGTERM received, if any, so `wrangler dev` is not started after it. */
let stopSignal: NodeJS.Signals | null = null;

/** Runs one wrangler command in the project root and resolves with its exit status. */
function runWrangler(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, [wranglerScript(), ...args], {
      cwd: projectRoot,
      stdio: "inherit",
      // A local run has no use for wrangler's usage telemetry, so it is off.
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", ...extraEnv },
    });
    childRunning = true;
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      childRunning = false;
      resolve({ code, signal });
    });
  });
}

/** Shell convention: a child killed by a signal exits the parent with 128 + the signal number. */
function exitCodeOf(result: { code: number | null; signal: NodeJS.Signals | null }): number {
  if (result.signal) {
    return 128 + (constants.signals[result.signal] ?? 0);
  }
  return result.code ?? 1;
}

/** Prints the ready line once the gateway responds, so it is not lost in wrangler's start-up output. */
async function announceWhenReady(url: string, tokenNote: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && childRunning) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      console.log(`\nchup-edge-gateway is running at ${url} (${tokenNote}). Try \`npm run demo\` in another terminal.\n`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  if (childRunning) {
    console.error(`The gateway did not respond at ${url} within ${READY_TIMEOUT_MS / 1000} s. Check wrangler's output above.`);
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopSignal = signal;
    child?.kill(signal);
  });
}

const port = parsePort(process.env["PORT"]);
const adminToken = process.env["ADMIN_TOKEN"] || DEFAULT_ADMIN_TOKEN;
const tokenNote =
  adminToken === DEFAULT_ADMIN_TOKEN
    ? `admin token "${DEFAULT_ADMIN_TOKEN}", the local default; set ADMIN_TOKEN to change it`
    : "admin token taken from ADMIN_TOKEN";

// wrangler 4.164 prompts for confirmation before applying migrations and
// takes "yes" without a prompt when ci-info detects CI, so CI=true skips it.
const migrations = await runWrangler(["d1", "migrations", "apply", "DB", "--local"], { CI: "true" });
if (stopSignal) {
  process.exit(exitCodeOf({ code: null, signal: stopSignal }));
}
if (exitCodeOf(migrations) !== 0) {
  console.error(`Applying the local D1 migrations failed with exit code ${exitCodeOf(migrations)}, so the gateway was not started. See wrangler's output above.`);
  process.exit(exitCodeOf(migrations));
}

// NOTE: --var puts the token on the command line, where other local users can read it with `ps`.
const secretsKey = process.env["SECRETS_KEY"] || DEFAULT_SECRETS_KEY;
const dev = runWrangler(["dev", "--local", "--port", String(port), "--var", `ADMIN_TOKEN:${adminToken}`, "--var", `SECRETS_KEY:${secretsKey}`]);
void announceWhenReady(`http://localhost:${port}/`, tokenNote);
process.exit(exitCodeOf(await dev));

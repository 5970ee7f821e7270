/**
 * Real processes for end-to-end tests: the gateway under `wrangler dev` with
 * its own local state, and the relay agent. Both listen on or call
 * 127.0.0.1 only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));

/** Returns a port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") {
    throw new Error("freePort: the server has no TCP address");
  }
  return address.port;
}

function wranglerScript(): string {
  const require = createRequire(import.meta.url);
  const packageJsonPath = require.resolve("wrangler/package.json");
  const { bin } = require(packageJsonPath) as { bin: Record<string, string> };
  return join(dirname(packageJsonPath), bin.wrangler!);
}

function runToEnd(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wranglerScript(), ...args], { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`wrangler ${args.join(" ")} exited ${code}:\n${output}`))));
  });
}

export interface Gateway {
  url: string;
  adminToken: string;
  stop(): Promise<void>;
}

/** Applies the migrations to a fresh state folder and starts `wrangler dev` on a free port. */
export async function startGateway(): Promise<Gateway> {
  const state = mkdtempSync(join(tmpdir(), "chup-gateway-e2e-"));
  const adminToken = "e2e-admin-token";
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  await runToEnd(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], env);

  const port = await freePort();
  const inspectorPort = await freePort();
  const child = spawn(
    process.execPath,
    [wranglerScript(), "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort), "--persist-to", state, "--var", `ADMIN_TOKEN:${adminToken}`, "--var", "SECRETS_KEY:ZTJlLXNlY3JldHMta2V5LW9mLTMyLWJ5dGVzLWxvbmc="],
    { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/`)).ok) {
        break;
      }
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      killGroup(child);
      throw new Error(`wrangler dev did not start within 90 s:\n${output.slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, adminToken, stop: () => stopGroup(child) };
}

export interface AgentProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the relay agent as a child process with its settings in the environment. */
export function startAgent(settings: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, ["--no-warnings", join(projectRoot, "src/agent/cli.ts")], {
    cwd: projectRoot,
    env: { ...process.env, ...settings },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function killGroup(child: ChildProcess): void {
  if (child.pid !== undefined) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) {
    return;
  }
  const exited = new Promise((resolve) => child.on("exit", resolve));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => killGroup(child), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts and stops the `wrangler dev` instances the benchmark measures, all
 * on 127.0.0.1. Each Worker is bundled once at the start with `wrangler
 * deploy --dry-run` and served with `--no-bundle`, so edits to src/ during a
 * run neither reload the server nor change the code being measured.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const READY_TIMEOUT_MS = 120_000;
/** Linux reports process CPU times in clock ticks of 1/100 s (USER_HZ) on every common build. */
const CLOCK_TICKS_PER_SECOND = 100;

export const projectRoot = fileURLToPath(new URL("..", import.meta.url));

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

/** Runs a wrangler command to completion and returns its standard output; throws with its output on failure. */
export async function runWrangler(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(process.execPath, [wranglerScript(), ...args], {
      cwd: projectRoot,
      // CI=true makes `d1 migrations apply` skip its confirmation prompt.
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`wrangler ${args.join(" ")} failed: ${failed.message}\n${failed.stdout ?? ""}\n${failed.stderr ?? ""}`);
  }
}

/** Bundles a Worker entry into `outdir` and returns the path of the bundled module. */
export async function bundleWorker(options: { config: string; entry?: string; outdir: string }): Promise<string> {
  await runWrangler(["deploy", "--dry-run", "--outdir", options.outdir, "-c", options.config, ...(options.entry ? [options.entry] : [])]);
  const module = (await readdir(options.outdir)).find((name) => name.endsWith(".js"));
  if (!module) {
    throw new Error(`wrangler deploy --dry-run wrote no .js module to ${options.outdir}.`);
  }
  return join(options.outdir, module);
}

export async function applyMigrations(config: string, persistTo: string): Promise<void> {
  await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo, "-c", config]);
}

/** Runs one SQL query against a local D1 database and returns its rows. */
export async function queryLocalD1<T>(config: string, persistTo: string, sql: string): Promise<T[]> {
  const output = await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistTo, "-c", config, "--json", "--command", sql]);
  const parsed = JSON.parse(output) as { results: T[] }[];
  return parsed.flatMap((statement) => statement.results);
}

export interface DevServer {
  name: string;
  port: number;
  pid: number;
  /** CPU seconds used so far by wrangler and every process it started, by role. */
  cpu(): Promise<CpuByRole>;
  stop(): Promise<void>;
}

/**
 * Starts `wrangler dev` on a bundled module and waits until GET / responds.
 * Its output goes to `logFile`. The server runs in its own process group so
 * stop() ends wrangler and the workerd processes it started, and nothing else.
 */
export async function startDevServer(options: {
  name: string;
  bundle: string;
  config: string;
  port: number;
  inspectorPort: number;
  persistTo?: string;
  vars: Record<string, string>;
  logFile: string;
}): Promise<DevServer> {
  const args = [
    wranglerScript(),
    "dev",
    options.bundle,
    "--no-bundle",
    "-c",
    options.config,
    "--local",
    "--ip",
    "127.0.0.1",
    "--port",
    String(options.port),
    "--inspector-port",
    String(options.inspectorPort),
    "--show-interactive-dev-session=false",
    ...(options.persistTo ? ["--persist-to", options.persistTo] : []),
    ...Object.entries(options.vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
  ];
  const log = createWriteStream(options.logFile);
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`wrangler dev for ${options.name} did not start; see ${options.logFile}.`);
  }

  const server: DevServer = {
    name: options.name,
    port: options.port,
    pid,
    cpu: () => processTreeCpu(pid, options.port),
    stop: async () => {
      if (exited) {
        return;
      }
      const exit = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-pid, "SIGTERM");
      const timeout = setTimeout(() => !exited && process.kill(-pid, "SIGKILL"), 10_000);
      await exit;
      clearTimeout(timeout);
    },
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`wrangler dev for ${options.name} exited during start-up; see ${options.logFile}.`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${options.port}/`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) {
        return server;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  await server.stop();
  throw new Error(`wrangler dev for ${options.name} did not respond on port ${options.port} within ${READY_TIMEOUT_MS / 1000} s; see ${options.logFile}.`);
}

/** CPU seconds of a process tree, split by the role of each process. */
export type CpuByRole = Record<string, number>;

/**
 * Sums user and system CPU time of a process and all its descendants, from
 * /proc, by role. The roles are "wrangler (Node.js)", "workerd (dev proxy)"
 * (the process listening on the public port), "workerd (Worker)" (the one
 * running the Worker and its bindings) and "other". Returns {} without /proc.
 */
export async function processTreeCpu(rootPid: number, publicPort: number): Promise<CpuByRole> {
  let entries: string[];
  try {
    entries = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  } catch {
    return {};
  }
  const stats = new Map<number, { parent: number; ticks: number }>();
  for (const entry of entries) {
    try {
      const text = await readFile(`/proc/${entry}/stat`, "utf8");
      // The command name may contain spaces, so fields are counted after its closing parenthesis.
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(entry), { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended while /proc was read.
    }
  }
  const inTree = (pid: number): boolean => {
    for (let current: number | undefined = pid; current !== undefined && current > 1; current = stats.get(current)?.parent) {
      if (current === rootPid) {
        return true;
      }
    }
    return false;
  };
  const byRole: CpuByRole = {};
  for (const [pid, stat] of stats) {
    if (!inTree(pid)) {
      continue;
    }
    const role = await processRole(pid, publicPort);
    byRole[role] = (byRole[role] ?? 0) + stat.ticks / CLOCK_TICKS_PER_SECOND;
  }
  return byRole;
}

async function processRole(pid: number, publicPort: number): Promise<string> {
  let commandLine = "";
  try {
    commandLine = (await readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " ");
  } catch {
    return "other";
  }
  if (commandLine.includes("workerd")) {
    return commandLine.includes(`entry=127.0.0.1:${publicPort} `) ? "workerd (dev proxy)" : "workerd (Worker)";
  }
  if (commandLine.includes("wrangler")) {
    return "wrangler (Node.js)";
  }
  return "other";
}

export function totalCpu(byRole: CpuByRole): number {
  return Object.values(byRole).reduce((sum, seconds) => sum + seconds, 0);
}

/** Subtracts one CPU reading from a later one, role by role. */
export function cpuBetween(before: CpuByRole, after: CpuByRole): CpuByRole {
  return Object.fromEntries(Object.entries(after).map(([role, seconds]) => [role, seconds - (before[role] ?? 0)]));
}

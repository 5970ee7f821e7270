/**
 * `npm run bench`: measures the gateway against a bare Hono Worker on the
 * same local runtime, then its delivery to a mock HIS, its backlog drain
 * after a HIS outage, and its billable operations per event. Every server
 * listens on 127.0.0.1 and every load loop is bounded in count and time.
 * Writes bench/results/<date>.json and BENCHMARKS.md; sizes and ports are
 * set with the BENCH_* variables in bench/config.ts.
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { busiestWindow, clinicClock, planClinicDays, peakPerMinute, type PlannedWebhook } from "./clinic-day.ts";
import { describeVariables, readConfig } from "./config.ts";
import { startHisProcess, type HisProcess } from "./his.ts";
import { LocalClient, runClosedLoop } from "./load.ts";
import { meteredRun } from "./metered-run.ts";
import { configureClinic, drainBacklog, endToEnd, type Gateway, log, playback, throughputRounds } from "./phases.ts";
import { buildResults, type BenchResults } from "./results.ts";
import { renderBenchmarks } from "./report.ts";
import { applyMigrations, bundleWorker, type DevServer, projectRoot, queryLocalD1, startDevServer } from "./servers.ts";

const config = readConfig();
const startedAt = new Date();
const stateDir = join(projectRoot, "bench", ".state");
const GATEWAY_CONFIG = "wrangler.toml";
const BASELINE_CONFIG = "bench/baseline/wrangler.toml";
const DAY_DATE = "2026-03-02";
/** Seconds to wait for the HIS to receive every event of the playback. */
const END_TO_END_TIMEOUT_SECONDS = 90;
/** The clinic settings the drain uses: the product's default concurrency and its highest rate limit. */
const DRAIN_CONCURRENCY = 4;
const DRAIN_RATE_PER_SECOND = 500;

const secrets = {
  adminToken: randomBytes(16).toString("hex"),
  webhookSecret: randomBytes(16).toString("hex"),
  // The gateway encrypts clinic secrets in D1 under this key; each run makes its own.
  secretsKey: randomBytes(32).toString("base64"),
};

const running: DevServer[] = [];
let his: HisProcess | undefined;

async function stopAll(): Promise<void> {
  await Promise.allSettled(running.splice(0).map((server) => server.stop()));
  await his?.stop();
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal} received: stopping the benchmark's servers.`);
    void stopAll().finally(() => process.exit(130));
  });
}

function plan(prefix: string, clinics: number, patients: number, seed: number, firstVisitId: number): { clinicIds: string[]; webhooks: PlannedWebhook[] } {
  const clinicIds = Array.from({ length: clinics }, (_, index) => `${prefix}-${index + 1}`);
  const webhooks = planClinicDays({
    clinicIds,
    patientsPerClinic: patients,
    duplicateShare: config.duplicateShare,
    secret: secrets.webhookSecret,
    seed,
    date: DAY_DATE,
    firstVisitId,
  });
  return { clinicIds, webhooks };
}

async function startGateway(name: string, bundle: string, port: number, inspectorPort: number, persistTo: string, extraVars: Record<string, string> = {}): Promise<Gateway> {
  await applyMigrations(GATEWAY_CONFIG, persistTo);
  const server = await startDevServer({
    name,
    bundle,
    config: GATEWAY_CONFIG,
    port,
    inspectorPort,
    persistTo,
    vars: { ADMIN_TOKEN: secrets.adminToken, SECRETS_KEY: secrets.secretsKey, ...extraVars },
    logFile: join(stateDir, `${name}.log`),
  });
  running.push(server);
  return { server, client: new LocalClient(port, 64), adminToken: secrets.adminToken, webhookSecret: secrets.webhookSecret };
}

function machineDescription(): BenchResults["machine"] {
  const cpus = os.cpus();
  let wrangler = "unknown";
  try {
    wrangler = (JSON.parse(execFileSync("npm", ["ls", "wrangler", "--json", "--depth=0"], { cwd: projectRoot, encoding: "utf8" })) as { dependencies?: { wrangler?: { version?: string } } }).dependencies?.wrangler?.version ?? "unknown";
  } catch {
    // npm ls failed; the version stays unknown.
  }
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cpuCount: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    wrangler,
  };
}

function codeVersion(): BenchResults["code"] {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: projectRoot, encoding: "utf8" }).trim();
  try {
    const changed = git("status", "--porcelain", "--", "src", "migrations", "wrangler.toml", "package-lock.json");
    return { commit: git("rev-parse", "HEAD"), uncommittedFiles: changed === "" ? [] : changed.split("\n").map((line) => line.trim()) };
  } catch {
    return { commit: "unknown", uncommittedFiles: [] };
  }
}

async function main(): Promise<void> {
  await rm(stateDir, { recursive: true, force: true });
  await mkdir(stateDir, { recursive: true });
  const machine = machineDescription();
  const code = codeVersion();
  log(`Benchmark of chup-edge-gateway on ${machine.cpuCount} × ${machine.cpuModel}, ${machine.totalMemoryGiB} GiB, Node ${machine.node}, wrangler ${machine.wrangler}`);
  if (code.uncommittedFiles.length > 0) {
    log(`Note: ${code.uncommittedFiles.length} uncommitted changes under src/, migrations/, wrangler.toml or package-lock.json are part of the measured code.`);
  }

  log("Bundling the baseline, the gateway and the metered gateway");
  const baselineBundle = await bundleWorker({ config: BASELINE_CONFIG, outdir: join(stateDir, "bundle-baseline") });
  const gatewayBundle = await bundleWorker({ config: GATEWAY_CONFIG, outdir: join(stateDir, "bundle-gateway") });
  const meteredBundle = await bundleWorker({ config: GATEWAY_CONFIG, entry: "bench/metered/worker.ts", outdir: join(stateDir, "bundle-metered") });

  his = await startHisProcess(config.hisPort);
  log(`Mock HIS at ${his.origin}`);

  log("Starting the bare Hono Worker and the gateway with wrangler dev");
  const baselineServer = await startDevServer({
    name: "baseline",
    bundle: baselineBundle,
    config: BASELINE_CONFIG,
    port: config.baselinePort,
    inspectorPort: config.baselinePort + 1000,
    vars: {},
    logFile: join(stateDir, "baseline.log"),
  });
  running.push(baselineServer);
  const baseline = { server: baselineServer, client: new LocalClient(config.baselinePort, 64) };
  const gateway = await startGateway("gateway", gatewayBundle, config.gatewayPort, config.gatewayPort + 1000, join(stateDir, "gateway"));

  const throughputPlan = plan("tp", config.clinics, config.patients, config.seed, 1_000_000);
  const dayPlan = plan("day", config.clinics, config.patients, config.seed + 1, 2_000_000);
  const warmPlan = plan("warm", 2, 10, config.seed + 2, 3_000_000);
  for (const clinicId of [...throughputPlan.clinicIds, ...dayPlan.clinicIds, ...warmPlan.clinicIds]) {
    await configureClinic(gateway, clinicId, his.inboxUrl(clinicId));
  }

  log(`Warming up both servers with ${warmPlan.webhooks.length} webhooks each`);
  const warmLoop = { concurrency: 4, maxSeconds: 30, serializeKeys: false };
  await runClosedLoop(baseline.client, warmPlan.webhooks, warmLoop);
  await runClosedLoop(gateway.client, warmPlan.webhooks, warmLoop);

  log(`Throughput: ${config.rounds} closed-loop rounds of ${config.roundSeconds} s per server, ${config.concurrency} connections`);
  const rounds = await throughputRounds(baseline, gateway, throughputPlan.webhooks, config);

  const gatewayRates = rounds.filter((round) => round.server === "gateway").map((round) => round.requestsPerSecond);
  const gatewayRate = gatewayRates.sort((a, b) => a - b)[Math.floor((gatewayRates.length - 1) / 2)]!;
  const offeredPeak = config.playLoad * gatewayRate;
  const speedup = (60 * offeredPeak) / Math.max(1, peakPerMinute(dayPlan.webhooks));
  const window = busiestWindow(dayPlan.webhooks, config.playSeconds * 1000 * speedup);
  const playOptions = { speedup, maxSeconds: config.playSeconds, offeredPeakPerSecond: offeredPeak, windowStartMs: window.startMs };
  log(
    `Playback: ${window.webhooks.length} webhooks of the clinic day's busiest stretch, from ${clinicClock(window.startMs)}, ` +
      `at ${speedup.toFixed(0)}× real time (peak ${offeredPeak.toFixed(0)} webhooks/s), for up to ${config.playSeconds} s per server`,
  );
  const baselinePlay = await playback("baseline", baseline.client, window.webhooks, playOptions);
  log(`  baseline: p50 ${baselinePlay.result.latency.p50Ms.toFixed(1)} ms, p99 ${baselinePlay.result.latency.p99Ms.toFixed(1)} ms over ${baselinePlay.result.requests} requests`);
  const gatewayPlay = await playback("gateway", gateway.client, window.webhooks, playOptions);
  log(`  gateway: p50 ${gatewayPlay.result.latency.p50Ms.toFixed(1)} ms, p99 ${gatewayPlay.result.latency.p99Ms.toFixed(1)} ms over ${gatewayPlay.result.requests} requests`);
  const e2e = await endToEnd(his, gatewayPlay.sent, END_TO_END_TIMEOUT_SECONDS);
  log(`  webhook to HIS: p50 ${e2e.latency.p50Ms.toFixed(0)} ms, p99 ${e2e.latency.p99Ms.toFixed(0)} ms, ${e2e.missing} of ${e2e.accepted} not delivered`);

  await baselineServer.stop();
  running.splice(running.indexOf(baselineServer), 1);

  const drains = [];
  for (const [index, hisDelayMs] of config.drainHisDelaysMs.entries()) {
    const drainPlan = plan(`drain-${hisDelayMs}ms`, 1, Math.ceil(config.drainEvents / 8), config.seed + 3 + index, 4_000_000 + index * 100_000);
    const webhooks = drainPlan.webhooks.slice(0, config.drainEvents);
    log(`Backlog drain with a HIS that takes ${hisDelayMs} ms: ${webhooks.length} webhooks during an outage`);
    const drain = await drainBacklog(gateway, his, webhooks, {
      hisDelayMs,
      concurrency: DRAIN_CONCURRENCY,
      ratePerSecond: DRAIN_RATE_PER_SECOND,
      timeoutSeconds: config.drainTimeoutSeconds,
      ingestConcurrency: config.concurrency,
    });
    log(
      `  first delivery ${drain.firstDeliveryAfterSeconds?.toFixed(1)} s after the HIS returned, then ${drain.drainPerSecond?.toFixed(0)}/s; ` +
        `the HIS alone accepts ${drain.hisAlone.perSecond.toFixed(0)}/s; ${drain.visitsOutOfOrder} of ${drain.visits} visits out of order`,
    );
    drains.push(drain);
  }
  await gateway.server.stop();
  running.splice(running.indexOf(gateway.server), 1);

  log("Metered run: counting billable operations");
  const meterPlan = plan("meter", config.meterClinics, config.meterPatients, config.seed + 9, 5_000_000);
  const meteredState = join(stateDir, "metered");
  const metered = await startGateway("metered", meteredBundle, config.meteredPort, config.meteredPort + 1000, meteredState, { METERING: "on" });
  const outagePlan = plan("meter-outage", 1, Math.ceil(config.meterOutageEvents / 8), config.seed + 10, 6_000_000);
  const meteredResult = await meteredRun(metered, his, meterPlan.webhooks, meterPlan.clinicIds, outagePlan.webhooks.slice(0, config.meterOutageEvents));
  await metered.server.stop();
  running.splice(running.indexOf(metered.server), 1);
  const tableRows = await queryLocalD1<{ name: string; rows: number }>(
    GATEWAY_CONFIG,
    meteredState,
    ["events", "visits", "visit_states", "delivery_attempts", "clinics"].map((table) => `SELECT '${table}' AS name, COUNT(*) AS rows FROM ${table}`).join(" UNION ALL "),
  );
  log(`  ${meteredResult.accepted} accepted events; D1 rows written ${meteredResult.counts.d1.rowsWritten}, KV writes ${meteredResult.counts.kv.writes}`);

  await his.stop();
  his = undefined;

  const results = buildResults({
    startedAt,
    finishedAt: new Date(),
    machine,
    code,
    config,
    variables: describeVariables(),
    rounds,
    playback: { baseline: baselinePlay.result, gateway: gatewayPlay.result },
    endToEnd: e2e,
    drains,
    metered: meteredResult,
    d1TableRows: Object.fromEntries(tableRows.map((row) => [row.name, row.rows])),
  });
  const resultsDir = join(projectRoot, "bench", "results");
  await mkdir(resultsDir, { recursive: true });
  const resultsFile = join(resultsDir, `${startedAt.toISOString().slice(0, 10)}.json`);
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(projectRoot, "BENCHMARKS.md"), renderBenchmarks(results));
  // The servers' local databases take a hundred MB or more; the logs stay for reading.
  await rm(join(stateDir, "gateway"), { recursive: true, force: true });
  await rm(meteredState, { recursive: true, force: true });
  log(`\nWrote ${resultsFile} and BENCHMARKS.md in ${results.durationSeconds.toFixed(0)} s. Server logs are in ${stateDir}.`);
  for (const target of results.targets) {
    log(`  ${target.met ? "met   " : "MISSED"} ${target.name}: ${target.measured}`);
  }
}

try {
  await main();
} catch (error) {
  console.error(`The benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  console.error(`Server logs are in ${stateDir}.`);
  process.exitCode = 1;
} finally {
  await stopAll();
}

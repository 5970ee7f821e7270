/**
 * Renders BENCHMARKS.md from one run's results. Every figure comes from the
 * results. The notes on what each statement writes were written from the
 * gateway's code (src/events.ts, src/state/, src/delivery/). A statement
 * the notes do not know is listed with its figures only.
 */
import { clinicClock } from "./clinic-day.ts";
import type { StatementCounts } from "./metered-run.ts";
import type { BenchResults, CostLine } from "./results.ts";

function fixed(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || Number.isNaN(value) ? "n/a" : value.toFixed(digits);
}

function percent(share: number | null | undefined): string {
  return share === null || share === undefined || Number.isNaN(share) ? "n/a" : `${(share * 100).toFixed(0)} %`;
}

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Purpose of each D1 statement's rows, keyed by the statement labels of src/metering.ts. */
const D1_NOTES: Record<string, string> = {
  "select clinics": "the clinic's settings, once per webhook and once per run of the clinic's queue",
  "select visits": "the visit's stored state, to type the event and spot late arrivals; a new queue entry also looks up the patient's earlier visit that day",
  "select events": "the stored copy of a webhook that D1 found to be a duplicate",
  "insert events": "the event row, plus one row for each of the table's four indexes (primary key; clinic and signature; clinic and received time; clinic and delivery state)",
  "insert visits": "the visit's current state, replaced only by a newer event, with the table's indexes",
  "update visits": "the time the visit first reached its state",
  "insert visit_states": "the visit's state history, one row per event, with its primary key and visit index",
  "update events": "the event's delivery state, twice: `queued` once the queue holds it, and the outcome when the queue copies it to D1; `delivery_state` is indexed, so each update writes two rows",
  "insert delivery_attempts": "each delivery attempt, copied from the queue, with its primary key",
};

/** Purpose of each Durable Object SQL statement's rows (src/delivery/outbox.ts). */
const QUEUE_NOTES: Record<string, string> = {
  "insert outbox": "the event in the clinic's outbox, with the outbox's indexes",
  "update outbox": "the attempt's outcome on the event, then clearing its copy-to-D1 flag",
  "insert attempt_log": "the attempt, kept until it is copied to D1",
  "update attempt_log": "marking the attempt copied to D1",
  "insert meta": "the circuit state, written after every attempt, and the clinic id",
  "select outbox": "the next due event of each visit before each send, and the rows to copy to D1",
  "select meta": "the circuit and pause state, read before each send",
  "delete outbox": "delivered events past their retention",
  "delete attempt_log": "copied attempts past their retention",
  "select attempt_log": "the attempts to copy to D1",
  create: "the outbox's schema check when a queue object starts",
  alter: "the outbox's schema check when a queue object starts",
  pragma: "the outbox's schema check when a queue object starts",
  "insert __miniflare_do_name": "written by the local runtime (miniflare), not by the gateway",
};

function statementRows(byStatement: Record<string, StatementCounts>, accepted: number, notes: Record<string, string>): (string | number)[][] {
  const per = (value: number) => fixed(value / Math.max(1, accepted), 2);
  return Object.entries(byStatement)
    .filter(([, counts]) => counts.rowsRead + counts.rowsWritten > 0)
    .sort(([, a], [, b]) => b.rowsWritten - a.rowsWritten || b.rowsRead - a.rowsRead)
    .map(([label, counts]) => [`\`${label}\``, per(counts.statements), per(counts.rowsRead), per(counts.rowsWritten), notes[label] ?? ""]);
}

function costRows(lines: CostLine[]): (string | number)[][] {
  return lines.map((line) => [line.item, fixed(line.perEvent, 3), `$${fixed(line.usdPerMillionEvents, 3)}`, line.basis]);
}

export function renderBenchmarks(results: BenchResults): string {
  return `${[header(results), targets(results), load(results), acknowledgement(results), endToEnd(results), drain(results), billing(results), misses(results), method(results)].join("\n\n")}\n`;
}

function header(results: BenchResults): string {
  const { machine, code } = results;
  return `# Benchmarks

How close the gateway runs to what the Workers runtime allows, and what an event costs.
\`npm run bench\` starts a bare Hono Worker and the gateway under \`wrangler dev\` on 127.0.0.1,
plays synthetic clinic days at both, and writes its figures to \`bench/results/<date>.json\` and
this page. Timings on a shared machine drift, so each timing is compared with the bare Worker
measured in the same run. This page comes from the run of ${results.startedAt.slice(0, 10)}, whose raw figures
are in [\`bench/results/${results.startedAt.slice(0, 10)}.json\`](bench/results/${results.startedAt.slice(0, 10)}.json).

| | |
| --- | --- |
| date | ${results.startedAt} (the run took ${fixed(results.durationSeconds, 0)} s) |
| machine | ${machine.cpuCount} × ${machine.cpuModel}, ${machine.totalMemoryGiB} GiB memory, ${machine.platform} |
| runtime | Node.js ${machine.node}, wrangler ${machine.wrangler} (\`wrangler dev --local\`, which runs workerd) |
| code | commit \`${code.commit.slice(0, 12)}\`${code.uncommittedFiles.length > 0 ? ` with ${code.uncommittedFiles.length} uncommitted changes under src/, migrations/, wrangler.toml or package-lock.json` : ""} |`;
}

function targets(results: BenchResults): string {
  const per = results.metered.perAcceptedEvent;
  return `## Targets

${table(
  ["target", "goal", "measured", "verdict"],
  results.targets.map((target) => [target.name, target.target, target.measured, target.met ? "met" : "**missed**"]),
)}

D1 rows written have no numeric goal. The run measured ${fixed(per["d1RowsWritten"], 1)} per event;
[section 5](#5-billable-operations-and-cost) shows which statement writes each of them.
[Why targets are missed](#why-targets-are-missed) gives the reasons.`;
}

function load(results: BenchResults): string {
  const { config } = results;
  return `## 1. The load: a clinic day

\`bench/clinic-day.ts\` generates each clinic's day from a fixed seed. Patients go through
Registration, Treatment Room, Pharmacy, Billing and Dispensary. Each step is a live queue entry
whose \`live_queue_created\` and \`live_queue_updated\` webhooks (in queue, alerted, arrived, serving,
served, no show, cancelled) carry the fields of Chup's published examples, transit notes included.
A third of the patients arrive in the first quarter hour after 08:00 and the rest over the day.
About ${percent(config.duplicateShare)} of the webhooks are sent a second time, 5 to 90 simulated seconds later, as a
sender's retry would be. Each body is encoded as PHP's \`json_encode\` writes it and signed with
HMAC-SHA256 as Chup signs it. The throughput rounds and the playback each use ${config.clinics} clinics of
${config.patients} patients of their own, so the gateway sees no webhook twice apart from the planned duplicates.`;
}

function acknowledgement(results: BenchResults): string {
  const { throughput, playback, config } = results;
  const roles = [...new Set([...Object.keys(throughput.baseline.serverCpuSecondsPer1000ByRole), ...Object.keys(throughput.gateway.serverCpuSecondsPer1000ByRole)])].sort();
  const rounds = [...throughput.rounds].sort((a, b) => a.round - b.round || a.server.localeCompare(b.server));
  return `## 2. Acknowledgement: bare Worker and gateway

The baseline, \`bench/baseline/worker.ts\`, is a Hono Worker that reads the body and returns 200.
The gateway runs its full ingest path: clinic lookup, signature check, KV and D1 dedupe, the D1
batch that stores the event and the clinic state, the call that puts the event in the clinic's
delivery queue, and the D1 update to \`queued\`. Both servers run bundles built at the start of the
run with the same wrangler, and their rounds alternate so that drift of the machine falls on both.

**Closed loop**: ${config.concurrency} connections, ${config.rounds} rounds of at most ${config.roundSeconds} s per server, medians of the rounds.

${table(
  ["", "requests/s", "p50 ms", "p99 ms", "server CPU ms per request"],
  [
    ["bare Worker", fixed(throughput.baseline.requestsPerSecond, 0), fixed(throughput.baseline.p50Ms), fixed(throughput.baseline.p99Ms), fixed(throughput.baseline.serverCpuSecondsPer1000, 2)],
    ["gateway", fixed(throughput.gateway.requestsPerSecond, 0), fixed(throughput.gateway.p50Ms), fixed(throughput.gateway.p99Ms), fixed(throughput.gateway.serverCpuSecondsPer1000, 2)],
    ["**gateway / bare**", `**${fixed(throughput.ratios.requestsPerSecond, 2)}**`, fixed(throughput.ratios.p50, 1), fixed(throughput.ratios.p99, 1), fixed(throughput.ratios.serverCpuPerRequest, 1)],
  ],
)}

Rounds: ${rounds.map((round) => `${round.server} ${round.round} ${fixed(round.requestsPerSecond, 0)}/s`).join(", ")}.
Server CPU is the user and system time, from \`/proc\`, of the server's wrangler process and the
processes it started, divided by the round's requests. By process, in CPU milliseconds per request:

${table(
  ["process", "bare Worker", "gateway"],
  roles.map((role) => [role, fixed(throughput.baseline.serverCpuSecondsPer1000ByRole[role], 2), fixed(throughput.gateway.serverCpuSecondsPer1000ByRole[role], 2)]),
)}

**Paced playback**: the busiest stretch of another clinic day, ${fixed(playback.gateway.simulatedMinutes, 0)} simulated minutes from
${clinicClock(playback.gateway.windowStartMs)}, at ${fixed(playback.gateway.speedup, 0)}× real time so that its peak is ${fixed(playback.gateway.offeredPeakPerSecond, 0)} webhooks/s
(${percent(config.playLoad)} of the gateway's closed-loop rate). Both servers get the same requests at the same
times. Latency counts from the moment a request was due, so time a request spent waiting in the
client counts too.

${table(
  ["", "requests", "p50 ms", "p90 ms", "p99 ms", "max ms"],
  [
    ["bare Worker", playback.baseline.requests, fixed(playback.baseline.latency.p50Ms), fixed(playback.baseline.latency.p90Ms), fixed(playback.baseline.latency.p99Ms), fixed(playback.baseline.latency.maxMs)],
    ["gateway", playback.gateway.requests, fixed(playback.gateway.latency.p50Ms), fixed(playback.gateway.latency.p90Ms), fixed(playback.gateway.latency.p99Ms), fixed(playback.gateway.latency.maxMs)],
    ["**gateway / bare**", "", fixed(playback.ratios.p50, 1), "", `**${fixed(playback.ratios.p99, 1)}**`, ""],
  ],
)}

The p99 target is judged on the playback, where both servers carry the same offered load. In the
closed loop each server's latency follows from its own throughput (latency ≈ connections ÷ rate),
so the closed-loop p99 ratio restates the throughput ratio.`;
}

function endToEnd(results: BenchResults): string {
  const { endToEnd: e2e } = results;
  return `## 3. Webhook to HIS

For each event of the gateway's playback that was accepted with 202: the time from the moment its
webhook was due to the moment the mock HIS received its first delivery. The mock HIS
(\`src/tools/mock-his.ts\`, run in a process of its own) returns 200 at once. The clinics use the
default delivery settings: 4 requests in flight and 20 requests per second.

${table(
  ["accepted", "delivered", "not delivered in time", "p50 ms", "p90 ms", "p99 ms", "max ms"],
  [[e2e.accepted, e2e.delivered, e2e.missing, fixed(e2e.latency.p50Ms, 0), fixed(e2e.latency.p90Ms, 0), fixed(e2e.latency.p99Ms, 0), fixed(e2e.latency.maxMs, 0)]],
)}`;
}

function drain(results: BenchResults): string {
  const { drains } = results;
  const first = drains[0];
  return `## 4. Backlog drain after a HIS outage

Each run uses one clinic with a delivery concurrency of ${first?.clinic.concurrency ?? "n/a"} and a rate limit of ${first?.clinic.ratePerSecond ?? "n/a"} per second,
the highest the gateway allows, so that the limit does not set the result. The clinic receives
webhooks while the mock HIS returns 503. Once all are acknowledged, the HIS comes back and returns
200, each response after the run's delay. The clinic's circuit opened during the outage, so the
first delivery waits for the circuit's next probe: the n-th probe waits a random time of up to
2 s × 2^(n−1) (see docs/delivery.md). Then the queue sends the backlog. The drain rate counts from
the first to the last delivery. The HIS's own capacity is what a plain Node.js client gets from
the same mock HIS with the same bodies, delay and number of connections.

${table(
  ["HIS delay", "accepted", "503 responses in the outage", "first delivery after the HIS returned", "drain", "HIS alone", "share", "visits out of order", "repeated deliveries"],
  drains.map((run) => [
    `${run.hisDelayMs} ms`,
    run.accepted,
    run.outageAttempts,
    `${fixed(run.firstDeliveryAfterSeconds)} s`,
    `${fixed(run.drainPerSecond, 0)}/s over ${fixed(run.drainSeconds)} s`,
    `${fixed(run.hisAlone.perSecond, 0)}/s`,
    `**${percent(run.shareOfHisCapacity)}**`,
    `${run.visitsOutOfOrder} of ${run.visits}`,
    run.repeatedDeliveries,
  ]),
)}`;
}

function billing(results: BenchResults): string {
  const { metered, costs } = results;
  const per = metered.perAcceptedEvent;
  const outage = metered.outagePerAcceptedEvent;
  const rows: [string, string][] = [
    ["Worker requests", "workerRequests"],
    ["KV reads", "kvReads"],
    ["KV writes", "kvWrites"],
    ["D1 statements", "d1Statements"],
    ["D1 rows read", "d1RowsRead"],
    ["D1 rows written", "d1RowsWritten"],
    ["Durable Object requests: RPC calls", "durableObjectStubRequests"],
    ["Durable Object requests: alarm runs", "durableObjectAlarmInvocations"],
    ["Durable Object SQLite rows read", "durableObjectSqlRowsRead"],
    ["Durable Object SQLite rows written", "durableObjectSqlRowsWritten"],
    ["Durable Object setAlarm calls (a row written each)", "durableObjectSetAlarmCalls"],
    ["Durable Object alarm wall time, ms", "durableObjectAlarmWallMs"],
    ["Analytics Engine data points", "analyticsEngineDataPoints"],
    ["rate limiter calls", "rateLimiterCalls"],
  ];
  return `## 5. Billable operations and cost

A third gateway instance ran with \`METERING=on\`. \`bench/metered/worker.ts\` wraps the gateway's
handlers and its \`DeliveryQueue\` class with \`src/metering.ts\`, which counts D1 rows from each
result's \`meta\`, KV calls, Durable Object calls and alarm runs, the rows each Durable Object SQL
cursor reads and writes, setAlarm calls, Analytics Engine data points and rate limiter calls. The
instance received ${metered.webhooksSent} webhooks for ${metered.clinics} clinics (${metered.accepted} accepted, ${metered.duplicatesAnswered} answered as duplicates) and the
run waited until the HIS had all ${metered.delivered} events and the counts stopped changing. Then it queued
${metered.outage.drain.accepted} more events for another clinic during a HIS outage and drained them, counted
separately. Figures are per accepted event; the work for duplicates is included.

${table(
  ["operation", "per event", "per event that waited out an outage"],
  rows.map(([name, key]) => [name, fixed(per[key], 3), fixed(outage[key], 3)]),
)}

Everything in this table is measured. Each Worker request makes one KV read. Each accepted event
makes one KV write, and a duplicate that KV already knows makes none. Each accepted event makes
one RPC call into its clinic's queue; the queue's alarm runs send many events each.

**D1 by statement**, per accepted event. D1 counts every index entry it writes as a row written.

${table(["statement", "statements", "rows read", "rows written", "what the rows are"], statementRows(metered.counts.d1.byStatement, metered.accepted, D1_NOTES))}

**Durable Object SQLite by statement**, per accepted event:

${table(["statement", "statements", "rows read", "rows written", "what the rows are"], statementRows(metered.counts.durableObjects.sqlByStatement, metered.accepted, QUEUE_NOTES))}

As a cross-check, \`wrangler d1 execute --local\` counted these rows in the metered instance's D1
afterwards: ${Object.entries(metered.d1TableRows)
    .map(([name, count]) => `\`${name}\` ${count}`)
    .join(", ")}.

**Cost per million events** on the Workers Paid plan, at the prices of ${costs.priceDate}:

${table(["item", "per event", "USD per million events", "basis"], costRows(costs.lines))}

Total: **$${fixed(costs.usdPerMillionEvents, 2)} per million events**, of which D1 and Durable Object rows written are
$${fixed(
    costs.lines.filter((line) => line.price === "d1RowsWritten" || line.price === "doRowsWritten").reduce((sum, line) => sum + line.usdPerMillionEvents, 0),
    2,
  )}. Not included: ${costs.excluded.join("; ")}.

NOTE: ${costs.priceNote} The sources are named in \`bench/prices.ts\`.`;
}

/** Explains each missed target with the measured figures behind it. */
function misses(results: BenchResults): string {
  const missed = results.targets.filter((target) => !target.met);
  if (missed.length === 0) {
    return "## Why targets are missed\n\nEvery target was met in this run.";
  }
  const per = results.metered.perAcceptedEvent;
  const outage = results.metered.outagePerAcceptedEvent;
  const { throughput, playback } = results;
  const gatewayWorkerCpu = throughput.gateway.serverCpuSecondsPer1000ByRole["workerd (Worker)"];
  const baselineWorkerCpu = throughput.baseline.serverCpuSecondsPer1000ByRole["workerd (Worker)"];
  const paragraphs: string[] = [];

  if (missed.some((target) => target.name === "Full ingest throughput")) {
    paragraphs.push(
      `**Throughput: ${percent(throughput.ratios.requestsPerSecond)} of the bare Worker, ${percent(0.5 - throughput.ratios.requestsPerSecond)} short of 50 %.** ` +
        `The gateway used ${fixed(throughput.ratios.serverCpuPerRequest, 1)} × the bare Worker's server CPU per request ` +
        `(${fixed(throughput.gateway.serverCpuSecondsPer1000, 1)} ms against ${fixed(throughput.baseline.serverCpuSecondsPer1000, 1)} ms), ` +
        `${fixed(gatewayWorkerCpu, 1)} ms of it (against ${fixed(baselineWorkerCpu, 1)} ms) in the workerd process that runs the Worker, its Durable Objects and the local D1 and KV. ` +
        `Each accepted webhook runs ${fixed(per["d1Statements"], 1)} D1 statements, one KV read and one call into its clinic's queue, ` +
        `and its queue later delivers it, where the bare Worker only reads a body. ` +
        `On a 2-core machine the server's processes and the load generator share the cores, so the CPU per request sets the rate. ` +
        `Deployed, D1, KV and each queue run elsewhere and the Worker mostly waits on them, so these local ratios say more about the ` +
        `amount of work per event than about the rate Cloudflare would sustain.`,
    );
  }
  if (missed.some((target) => target.name === "p99 acknowledgement")) {
    paragraphs.push(
      `**p99 acknowledgement: ${fixed(playback.ratios.p99, 1)} × the bare Worker's, against at most 3 ×.** ` +
        `At the same offered load the gateway's p50 was ${fixed(playback.gateway.latency.p50Ms)} ms and its p99 ${fixed(playback.gateway.latency.p99Ms)} ms. ` +
        `In the metered run a request waited on average ${fixed(per["d1WaitMsPerRequest"], 1)} ms on D1, ${fixed(per["kvWaitMsPerRequest"], 1)} ms on KV and ` +
        `${fixed(per["queueWaitMsPerRequest"], 1)} ms on the queue, one after the other, and the longest single waits were ${fixed(per["d1MaxWaitMs"], 0)} ms on D1, ` +
        `${fixed(per["kvMaxWaitMs"], 0)} ms on KV and ${fixed(per["queueMaxWaitMs"], 0)} ms on the queue (metering adds work of its own, so these are upper bounds). ` +
        `The bare Worker waits on no binding, so its tail is the runtime's own. ` +
        `Locally the same process also runs the clinics' deliveries and the D1 and KV simulators, so every wait grows when a queue is sending.`,
    );
  }
  const missedDrains = results.drains.filter((run) => missed.some((target) => target.name === `Backlog drain, HIS taking ${run.hisDelayMs} ms`));
  if (missedDrains.length > 0) {
    const lines = missedDrains.map((run) => {
      const share = run.shareOfHisCapacity ?? 0;
      const hisMs = (run.hisAlone.concurrency / run.hisAlone.perSecond) * 1000;
      const queueMs = run.drainPerSecond ? (run.clinic.concurrency / run.drainPerSecond) * 1000 : null;
      return (
        `- HIS taking ${run.hisDelayMs} ms: ${percent(share)} of its capacity, ${percent(Math.max(0, 0.8 - share))} short of 80 %. ` +
        `The plain client needed ${fixed(hisMs, 1)} ms per request on each of its ${run.hisAlone.concurrency} connections; the queue needed ${fixed(queueMs, 1)} ms per event on each of its ${run.clinic.concurrency} senders.` +
        (run.visitsOutOfOrder > 0 ? ` ${run.visitsOutOfOrder} visits reached the HIS out of order.` : "")
      );
    });
    const outageQueueRows = results.metered.outage.counts.durableObjects.sqlByStatement["select outbox"]?.rowsRead ?? 0;
    const normalQueueRows = results.metered.counts.durableObjects.sqlByStatement["select outbox"]?.rowsRead ?? 0;
    paragraphs.push(
      `**Backlog drain.**\n\n${lines.join("\n")}\n\n` +
        `A clinic's queue is one Durable Object, which runs one piece of JavaScript at a time. For every event it signs the request, ` +
        `reads the next due event and the circuit state, records the attempt, and later copies the outcome to D1 in a batch. ` +
        `In the metered outage that came to ${fixed(outage["durableObjectSqlRowsRead"], 1)} SQLite rows read per event ` +
        `(${fixed(outageQueueRows / Math.max(1, results.metered.outage.drain.accepted), 1)} of them by the queries for due events, ` +
        `against ${fixed(normalQueueRows / Math.max(1, results.metered.accepted), 1)} per event without an outage), ` +
        `${fixed(outage["durableObjectSqlRowsWritten"], 1)} rows written and ${fixed(outage["durableObjectAlarmWallMs"], 1)} ms of alarm wall time per event. ` +
        `The senders wait for each other's share of that work, so the faster the HIS, the more that work sets the pace.`,
    );
  }
  if (missed.some((target) => target.name === "KV writes per event")) {
    paragraphs.push(`**KV writes: ${fixed(per["kvWrites"], 3)} per event.** A duplicate that reaches D1 before KV has its key writes the key again.`);
  }
  return `## Why targets are missed\n\n${paragraphs.join("\n\n")}`;
}

function method(results: BenchResults): string {
  const { config } = results;
  return `## Method and limits

- Every server listens on 127.0.0.1: the bare Worker on port ${config.baselinePort}, the gateway on ${config.gatewayPort}, the
  metered gateway on ${config.meteredPort} and the mock HIS on ${config.hisPort}. Their local state is in \`bench/.state/\`, apart
  from the developers' \`.wrangler/state\`. Each run starts it afresh and deletes it at the end,
  keeping the servers' logs there.
- \`wrangler dev\` puts a proxy Worker, in a workerd process of its own, in front of each Worker.
  Both servers pay for it on every request, so the bare Worker's figures are the ceiling of the
  local dev runtime, not of Cloudflare's network.
- Locally the Worker, its Durable Objects and the D1 and KV simulators share one workerd process,
  and the machine's cores with the load generator, the mock HIS and anything else running.
  Deployed, D1 is a network call and each clinic's queue runs where its object lives, so absolute
  times differ; the ratios and the operation counts are the comparable part.
- The gateway's queues deliver to the mock HIS during the throughput rounds and the playback, as
  they would in production, so that work is in the gateway's figures.
- The gateway's ingest rate limit is 1200 webhooks per clinic per minute. No phase sends one clinic
  that many in a minute with the default sizes; a \`429\` in the status counts means one did.
- With metering on, D1 reads through \`raw()\` run twice, so the metered run is not timed. Its counts
  do not depend on timing, except how many alarm runs the deliveries are spread over.
- The Workers CPU line of the cost table is an upper bound from local process CPU, and the Durable
  Object duration line is an estimate; every other operation count is measured.

\`npm run bench\` is not part of \`npm test\`. These variables set its sizes and ports:

${table(
  ["variable", "default", "sets"],
  results.variables.map((variable) => [`\`${variable.name}\``, variable.default, variable.sets]),
)}`;
}

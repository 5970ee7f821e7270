/**
 * Sizes and ports of `npm run bench`, read from environment variables. With
 * the defaults a run took 4 to 7 minutes on a shared 2-core machine.
 */

export interface BenchConfig {
  /** Clinics in each generated clinic day (throughput, playback). */
  clinics: number;
  /** Patients per clinic per day. */
  patients: number;
  duplicateShare: number;
  seed: number;
  /** Connections of the closed-loop throughput rounds. */
  concurrency: number;
  /** Closed-loop rounds per server; baseline and gateway rounds alternate. */
  rounds: number;
  roundSeconds: number;
  /** Maximum wall time of one paced clinic-day playback, in seconds. */
  playSeconds: number;
  /** Peak offered rate of the playback, as a share of the gateway's closed-loop throughput. */
  playLoad: number;
  drainEvents: number;
  /** Mock HIS response delays of the backlog drain runs, one run each. */
  drainHisDelaysMs: number[];
  drainTimeoutSeconds: number;
  /** Patients per clinic, and clinics, of the metered run. */
  meterPatients: number;
  meterClinics: number;
  /** Webhooks queued during the metered run's HIS outage. */
  meterOutageEvents: number;
  baselinePort: number;
  gatewayPort: number;
  meteredPort: number;
  hisPort: number;
}

const VARIABLES: Record<keyof BenchConfig, { name: string; fallback: string; help: string; kind: "int" | "share" | "list" }> = {
  clinics: { name: "BENCH_CLINICS", fallback: "12", help: "clinics per generated day", kind: "int" },
  patients: { name: "BENCH_PATIENTS", fallback: "40", help: "patients per clinic per day", kind: "int" },
  duplicateShare: { name: "BENCH_DUPLICATE_SHARE", fallback: "0.02", help: "share of webhooks sent twice, 0 to 1", kind: "share" },
  seed: { name: "BENCH_SEED", fallback: "1", help: "seed of the generated days", kind: "int" },
  concurrency: { name: "BENCH_CONCURRENCY", fallback: "16", help: "connections of the throughput rounds", kind: "int" },
  rounds: { name: "BENCH_ROUNDS", fallback: "2", help: "throughput rounds per server", kind: "int" },
  roundSeconds: { name: "BENCH_ROUND_SECONDS", fallback: "10", help: "seconds per throughput round", kind: "int" },
  playSeconds: { name: "BENCH_PLAY_SECONDS", fallback: "45", help: "seconds of paced clinic-day playback per server", kind: "int" },
  playLoad: { name: "BENCH_PLAY_LOAD", fallback: "0.5", help: "playback peak rate as a share of the gateway's throughput, above 0 and at most 1", kind: "share" },
  drainEvents: { name: "BENCH_DRAIN_EVENTS", fallback: "600", help: "webhooks queued during each HIS outage", kind: "int" },
  drainHisDelaysMs: { name: "BENCH_DRAIN_HIS_DELAYS_MS", fallback: "0,25", help: "comma-separated mock HIS response delays in ms, one drain run each", kind: "list" },
  drainTimeoutSeconds: { name: "BENCH_DRAIN_TIMEOUT_SECONDS", fallback: "180", help: "maximum seconds to wait for one backlog to drain", kind: "int" },
  meterPatients: { name: "BENCH_METER_PATIENTS", fallback: "10", help: "patients per clinic in the metered run", kind: "int" },
  meterClinics: { name: "BENCH_METER_CLINICS", fallback: "3", help: "clinics in the metered run", kind: "int" },
  meterOutageEvents: { name: "BENCH_METER_OUTAGE_EVENTS", fallback: "300", help: "webhooks queued during the metered run's HIS outage", kind: "int" },
  baselinePort: { name: "BENCH_BASELINE_PORT", fallback: "8801", help: "port of the bare Hono Worker", kind: "int" },
  gatewayPort: { name: "BENCH_GATEWAY_PORT", fallback: "8802", help: "port of the gateway", kind: "int" },
  meteredPort: { name: "BENCH_METERED_PORT", fallback: "8803", help: "port of the metered gateway", kind: "int" },
  hisPort: { name: "BENCH_HIS_PORT", fallback: "8810", help: "port of the mock HIS", kind: "int" },
};

/** Reads the configuration; exits with the variable's name and expected form when a value is invalid. */
export function readConfig(environment: NodeJS.ProcessEnv = process.env): BenchConfig {
  const config: Record<string, number | number[]> = {};
  const problems: string[] = [];
  for (const [key, variable] of Object.entries(VARIABLES)) {
    const text = environment[variable.name]?.trim() || variable.fallback;
    if (variable.kind === "list") {
      const values = text.split(",").map((part) => Number(part.trim()));
      if (values.some((value) => !Number.isInteger(value) || value < 0)) {
        problems.push(`${variable.name}="${text}" is invalid: expected ${variable.help}, such as "${variable.fallback}".`);
      }
      config[key] = values;
      continue;
    }
    const value = Number(text);
    const lowest = key === "playLoad" ? Number.MIN_VALUE : 0;
    const valid = variable.kind === "share" ? value >= lowest && value <= 1 : Number.isInteger(value) && value > 0;
    if (!valid) {
      problems.push(`${variable.name}="${text}" is invalid: expected ${variable.help} (default ${variable.fallback}).`);
    }
    config[key] = value;
  }
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    process.exit(2);
  }
  return config as unknown as BenchConfig;
}

/** Lists the environment variables with their defaults and help text, for the results file. */
export function describeVariables(): { name: string; default: string; sets: string }[] {
  return Object.values(VARIABLES).map((variable) => ({ name: variable.name, default: variable.fallback, sets: variable.help }));
}

import { readFileSync } from "node:fs";

/** Settings of the relay agent, from a JSON file and environment variables (which win). */
export interface AgentConfig {
  /** Base URL of the gateway, e.g. https://gateway.example.org */
  gatewayUrl: string;
  clinicId: string;
  /** The clinic's HIS token, created with POST /admin/v1/clinics/{clinicId}/his-tokens. */
  hisToken: string;
  /** The local HIS endpoint each event is POSTed to. */
  hisUrl: string;
  /** Standard Webhooks secret ("whsec_…") the agent signs local deliveries with. */
  signingSecret: string;
  /** SQLite file keeping the cursor and events not yet acknowledged. */
  stateFile: string;
  /** Events per pull request. */
  batchSize: number;
  /** Long-poll wait per pull request, in seconds (at most 25). */
  waitSeconds: number;
  /** Maximum wait between retries of the local HIS or the gateway, in milliseconds. */
  maxBackoffMs: number;
  /** Timeout for one request to the local HIS, in milliseconds. */
  hisTimeoutMs: number;
}

/** Environment variable for each setting. */
const ENVIRONMENT: Record<keyof AgentConfig, string> = {
  gatewayUrl: "CHUP_GATEWAY_URL",
  clinicId: "CHUP_CLINIC_ID",
  hisToken: "CHUP_HIS_TOKEN",
  hisUrl: "CHUP_LOCAL_HIS_URL",
  signingSecret: "CHUP_SIGNING_SECRET",
  stateFile: "CHUP_AGENT_STATE_FILE",
  batchSize: "CHUP_AGENT_BATCH_SIZE",
  waitSeconds: "CHUP_AGENT_WAIT_SECONDS",
  maxBackoffMs: "CHUP_AGENT_MAX_BACKOFF_MS",
  hisTimeoutMs: "CHUP_AGENT_HIS_TIMEOUT_MS",
};

const DEFAULTS: Partial<AgentConfig> = {
  stateFile: "chup-relay-agent.sqlite",
  batchSize: 100,
  waitSeconds: 20,
  maxBackoffMs: 60_000,
  hisTimeoutMs: 10_000,
};

const NUMERIC: (keyof AgentConfig)[] = ["batchSize", "waitSeconds", "maxBackoffMs", "hisTimeoutMs"];

/** Error for a missing or invalid setting. Its message names the setting and how to set it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads the settings from `configFile` (optional) and the environment, and checks them. */
export function loadConfig(configFile: string | undefined, environment: NodeJS.ProcessEnv): AgentConfig {
  let fromFile: Record<string, unknown> = {};
  if (configFile !== undefined) {
    try {
      fromFile = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`Cannot read the config file ${configFile}: ${(error as Error).message}`);
    }
  }

  const config: Record<string, unknown> = { ...DEFAULTS, ...fromFile };
  for (const [key, variable] of Object.entries(ENVIRONMENT)) {
    const value = environment[variable];
    if (value !== undefined && value !== "") {
      config[key] = value;
    }
  }
  for (const key of NUMERIC) {
    if (config[key] !== undefined) {
      config[key] = Number(config[key]);
    }
  }

  for (const [key, variable] of Object.entries(ENVIRONMENT) as [keyof AgentConfig, string][]) {
    const value = config[key];
    if (value === undefined || value === "" || (typeof value === "number" && !Number.isFinite(value))) {
      throw new ConfigError(`Missing or invalid setting "${key}": set it in the config file or as ${variable}.`);
    }
  }
  const checked = config as unknown as AgentConfig;
  if (!/^https?:\/\//.test(checked.gatewayUrl) || !/^https?:\/\//.test(checked.hisUrl)) {
    throw new ConfigError('"gatewayUrl" and "hisUrl" must be http or https URLs.');
  }
  if (!checked.signingSecret.startsWith("whsec_")) {
    throw new ConfigError('"signingSecret" must start with "whsec_".');
  }
  if (checked.waitSeconds < 0 || checked.waitSeconds > 25) {
    throw new ConfigError('"waitSeconds" must be from 0 to 25.');
  }
  checked.gatewayUrl = checked.gatewayUrl.replace(/\/+$/, "");
  return checked;
}

#!/usr/bin/env node
/**
 * chup-relay-agent: runs inside the hospital network, pulls a clinic's
 * events from the Chup edge gateway and POSTs them to the local HIS.
 *
 *   npx chup-relay-agent --config /etc/chup-relay-agent.json
 *
 * Every setting can also come from an environment variable; see
 * docs/agent.md. Needs Node.js 22.18 or later, which runs this TypeScript
 * file directly and provides node:sqlite.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config.ts";
import { log } from "./log.ts";
import { GatewayConfigError, RelayAgent } from "./relay.ts";
import { AgentStore } from "./store.ts";

const USAGE = `Usage: chup-relay-agent [--config FILE]

Pulls a clinic's events from the Chup edge gateway and POSTs each to the local HIS.
Settings come from the JSON config file and from environment variables, which win:
  CHUP_GATEWAY_URL, CHUP_CLINIC_ID, CHUP_HIS_TOKEN, CHUP_LOCAL_HIS_URL, CHUP_SIGNING_SECRET,
  CHUP_AGENT_STATE_FILE (default chup-relay-agent.sqlite), CHUP_AGENT_BATCH_SIZE (100),
  CHUP_AGENT_WAIT_SECONDS (20), CHUP_AGENT_MAX_BACKOFF_MS (60000), CHUP_AGENT_HIS_TIMEOUT_MS (10000).
Stops cleanly on SIGTERM or SIGINT.`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { config: { type: "string" }, help: { type: "boolean" } } });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  let config;
  try {
    config = loadConfig(values.config, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }

  const store = new AgentStore(config.stateFile);
  const agent = new RelayAgent(config, store);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      log.info("stop requested", { signal });
      agent.stop();
    });
  }

  try {
    await agent.run();
    return 0;
  } catch (error) {
    if (error instanceof GatewayConfigError) {
      log.error("gateway rejected the agent's settings: check the clinic id, HIS token and delivery mode", { error: error.message });
      return 3;
    }
    throw error;
  } finally {
    store.close();
  }
}

process.exitCode = await main();

/**
 * Runs the mock HIS in a child process and reads what it received through
 * its control API (see src/tools/mock-his.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { ReceivedWebhook, ScriptedResponse } from "../src/tools/mock-his.ts";
import { LocalClient } from "./load.ts";
import { projectRoot } from "./servers.ts";

const START_TIMEOUT_MS = 30_000;

export interface HisProcess {
  origin: string;
  port: number;
  inboxUrl(name: string): string;
  setDefault(name: string, response: ScriptedResponse): Promise<void>;
  received(name: string): Promise<ReceivedWebhook[]>;
  stop(): Promise<void>;
}

export async function startHisProcess(port: number): Promise<HisProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "bench/mock-his-server.ts", String(port)], {
    cwd: projectRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The mock HIS did not start on port ${port} within ${START_TIMEOUT_MS / 1000} s.`)), START_TIMEOUT_MS);
    child.once("exit", (code) => reject(new Error(`The mock HIS exited with code ${code} during start-up; is port ${port} free? Set BENCH_HIS_PORT to another port.`)));
    createInterface({ input: child.stdout! }).once("line", (line) => {
      clearTimeout(timer);
      const match = /^ready (\S+)$/.exec(line);
      if (match?.[1]) {
        resolve(match[1]);
      } else {
        reject(new Error(`The mock HIS printed "${line}" instead of its ready line.`));
      }
    });
  });

  const client = new LocalClient(Number(new URL(origin).port), 4);
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await client.request(method, path, body === undefined ? undefined : JSON.stringify(body));
    if (response.status >= 300) {
      throw new Error(`Mock HIS ${method} ${path} returned ${response.status}: ${response.text}`);
    }
    return response.text;
  };

  return {
    origin,
    port: Number(new URL(origin).port),
    inboxUrl: (name) => `${origin}/inbox/${name}`,
    setDefault: async (name, response) => {
      await control("PUT", `/control/${name}/default`, response);
    },
    received: async (name) => JSON.parse(await control("GET", `/control/${name}/received`)) as ReceivedWebhook[],
    stop: async () => {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/** Returns the first 2xx delivery of each webhook-id, in the order the HIS received them. */
export function firstDeliveries(received: ReceivedWebhook[]): ReceivedWebhook[] {
  const seen = new Set<string>();
  const deliveries: ReceivedWebhook[] = [];
  for (const webhook of received) {
    const id = webhook.headers["webhook-id"];
    if (id && webhook.status >= 200 && webhook.status < 300 && !seen.has(id)) {
      seen.add(id);
      deliveries.push(webhook);
    }
  }
  return deliveries;
}

/** Counts webhook-ids that the HIS accepted (2xx) more than once. */
export function repeatedDeliveries(received: ReceivedWebhook[]): number {
  const counts = new Map<string, number>();
  for (const webhook of received) {
    const id = webhook.headers["webhook-id"];
    if (id && webhook.status >= 200 && webhook.status < 300) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return [...counts.values()].filter((count) => count > 1).length;
}

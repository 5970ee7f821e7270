/**
 * A scriptable stand-in for a hospital information system, for tests and the
 * demo. It listens on 127.0.0.1 only and records every webhook it receives.
 *
 *   POST /inbox/{name}               receives a webhook; returns the next scripted response, else 200
 *   PUT  /control/{name}/responses   sets the scripted responses: [{"status": 500}, {"status": 200}]
 *   PUT  /control/{name}/default     sets the response once the script is used up: {"status": 503}
 *   PUT  /control/{name}/rules       answers any webhook whose body contains `match` with a fixed
 *                                    response, ahead of the script: [{"match": "visits/19738", "status": 400}]
 *   GET  /control/{name}/received    lists what /inbox/{name} received, oldest first
 *   GET  /control/{name}/stats       returns {"received", "inFlight", "maxInFlight"}
 *
 * Each inbox name is independent, so parallel tests use one name each.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
  /** The status the mock HIS responded with. */
  status: number;
}

export interface ScriptedResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Milliseconds to wait before responding, to simulate a slow HIS. */
  delayMs?: number;
}

export interface MockHis {
  origin: string;
  server: Server;
  received: Map<string, ReceivedWebhook[]>;
  close(): Promise<void>;
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Starts the mock HIS on 127.0.0.1; port 0 picks a free port. */
export async function startMockHis(port = 0): Promise<MockHis> {
  const received = new Map<string, ReceivedWebhook[]>();
  const scripts = new Map<string, ScriptedResponse[]>();
  const defaults = new Map<string, ScriptedResponse>();
  const rules = new Map<string, (ScriptedResponse & { match: string })[]>();
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const [, area, name, action] = url.pathname.split("/");
    const body = await readText(request);

    if (request.method === "POST" && area === "inbox" && name) {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(request.headers)) {
        headers[key] = Array.isArray(value) ? value.join(", ") : (value ?? "");
      }
      const rule = rules.get(name)?.find((candidate) => body.includes(candidate.match));
      const scripted = rule ?? scripts.get(name)?.shift() ?? defaults.get(name) ?? { status: 200 };
      const inbox = received.get(name) ?? [];
      inbox.push({ headers, body, receivedAt: Date.now(), status: scripted.status });
      received.set(name, inbox);

      const current = (inFlight.get(name) ?? 0) + 1;
      inFlight.set(name, current);
      maxInFlight.set(name, Math.max(maxInFlight.get(name) ?? 0, current));
      try {
        if (scripted.delayMs) {
          await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
        }
        response.writeHead(scripted.status, { "content-type": "text/plain", ...scripted.headers });
        response.end(scripted.body ?? (scripted.status < 300 ? "ok" : "mock HIS failure"));
      } finally {
        inFlight.set(name, (inFlight.get(name) ?? 1) - 1);
      }
      return;
    }

    if (request.method === "PUT" && area === "control" && name && action === "responses") {
      scripts.set(name, JSON.parse(body) as ScriptedResponse[]);
      response.writeHead(204).end();
      return;
    }

    if (request.method === "PUT" && area === "control" && name && action === "rules") {
      rules.set(name, JSON.parse(body) as (ScriptedResponse & { match: string })[]);
      response.writeHead(204).end();
      return;
    }

    if (request.method === "PUT" && area === "control" && name && action === "default") {
      defaults.set(name, JSON.parse(body) as ScriptedResponse);
      response.writeHead(204).end();
      return;
    }

    if (request.method === "GET" && area === "control" && name && action === "stats") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ received: received.get(name)?.length ?? 0, inFlight: inFlight.get(name) ?? 0, maxInFlight: maxInFlight.get(name) ?? 0 }));
      return;
    }

    if (request.method === "GET" && area === "control" && name && action === "received") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(received.get(name) ?? []));
      return;
    }

    response.writeHead(404, { "content-type": "text/plain" }).end("unknown mock HIS route");
  });

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${boundPort}`,
    server,
    received,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

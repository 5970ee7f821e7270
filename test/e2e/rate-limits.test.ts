import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gateway, startGateway } from "./processes.ts";

/*
 * The Workers rate limiting bindings as wrangler.toml configures them,
 * under `wrangler dev`: the admin and HIS APIs allow 600 requests per
 * caller per 60 seconds.
 */

let gateway: Gateway;

beforeAll(async () => {
  gateway = await startGateway();
});

afterAll(async () => {
  await gateway?.stop();
});

describe("rate limits", () => {
  it("answers 429 with Retry-After once a caller passes the admin API limit", async () => {
    const statuses: number[] = [];
    let limited: Response | undefined;
    // The limiter counts in fixed 60-second windows, so a run that starts late
    // in one window may spread its requests over two. At most 1300 requests,
    // 25 at a time, pass the limit of 600 within one window either way.
    for (let sent = 0; sent < 1300 && limited === undefined; sent += 25) {
      const responses = await Promise.all(Array.from({ length: 25 }, () => fetch(`${gateway.url}/admin/v1/clinics`, { headers: { authorization: "Bearer wrong" } })));
      statuses.push(...responses.map((response) => response.status));
      limited = responses.find((response) => response.status === 429);
    }

    expect(limited).toBeDefined();
    expect(limited!.headers.get("retry-after")).toBe("60");
    expect(limited!.headers.get("content-type")).toBe("application/problem+json");
    expect(((await limited!.json()) as { type: string }).type).toBe("tag:chup-edge-gateway,2026:problem:rate-limited");
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(550);
  });

  it("keeps ingest open while the admin API is limited", async () => {
    const response = await fetch(`${gateway.url}/webhooks/chup/no-such-clinic`, { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
  });
});

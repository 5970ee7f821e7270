import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { log } from "../log";

/**
 * Prefix of the problem type URIs this gateway defines. They are tag URIs
 * (RFC 4151): stable names, not links; docs/errors.md describes each one.
 */
export const PROBLEM_TYPE_BASE = "tag:chup-edge-gateway,2026:problem:";

/** RFC 9457 problem details, as sent in an application/problem+json body. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

/**
 * Request failure that carries its own problem+json response. Every expected
 * error on a request path is thrown as this type. Anything else that reaches
 * the error handler is a bug, so the handler logs it and returns a 500.
 */
export class ProblemError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    title: string,
    detail: string,
    options: { extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = "ProblemError";
    this.status = status;
    this.code = code;
    this.title = title;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  toJSON(): ProblemDetails {
    return {
      type: PROBLEM_TYPE_BASE + this.code,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...this.extensions,
    };
  }

  toResponse(): Response {
    return new Response(JSON.stringify(this.toJSON()), {
      status: this.status,
      headers: { "content-type": "application/problem+json", ...this.headers },
    });
  }
}

/** Hono error handler: problems become their response, anything else a logged 500. */
export function handleError(error: Error, c: Context): Response {
  if (error instanceof ProblemError) {
    return error.toResponse();
  }
  // Hono's own request checks (a body that is not JSON, say) throw HTTPException.
  if (error instanceof HTTPException && error.status < 500) {
    return new ProblemError(error.status, "invalid-request", "Invalid request", error.message || "The request is invalid.").toResponse();
  }
  log.error("unhandled error", { path: new URL(c.req.url).pathname, error: describeError(error) });
  return new ProblemError(
    500,
    "internal-error",
    "Internal error",
    "The gateway failed to process the request; it was logged. Retry later.",
  ).toResponse();
}

/** Hono not-found handler as problem+json. */
export function handleNotFound(c: Context): Response {
  const path = new URL(c.req.url).pathname;
  return new ProblemError(404, "not-found", "Not found", `No route matches ${c.req.method} ${path}.`).toResponse();
}

/** Error name and message only: stack traces can quote request data. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return `${error.name}: ${error.message}`;
  }
  return String(error);
}

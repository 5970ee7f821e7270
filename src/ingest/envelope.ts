import { parseTree } from "jsonc-parser";
import { ProblemError } from "../http/problem";

/** A Chup webhook body, checked for shape but not yet for its signature. */
export interface ChupEnvelope {
  /** The `payload` value exactly as it is in the body: the text Chup signed. */
  payloadText: string;
  /** The payload parsed without losing integer precision (see parseLossless). */
  payload: ChupPayload;
  /** The signature as sent, trimmed. */
  signature: string;
}

export interface ChupPayload {
  event: string;
  timestamp?: unknown;
  data: unknown;
  [field: string]: unknown;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes the body bytes as UTF-8, rejecting invalid sequences. */
export function decodeBody(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ProblemError(400, "invalid-encoding", "Invalid body encoding", "The request body is not valid UTF-8 text.");
  }
}

/**
 * Parses JSON like JSON.parse, except that an integer beyond
 * Number.MAX_SAFE_INTEGER is kept as its decimal text, so a large id is
 * never rounded. Uses the reviver's source text (ES2025 JSON.parse source
 * text access, available in workerd and Node 22).
 */
export function parseLossless(text: string): unknown {
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source) {
      return context.source;
    }
    return value;
  } as (key: string, value: unknown) => unknown);
}

/** Parses a webhook body and checks the fields every Chup webhook carries. */
export function parseEnvelope(bodyText: string): ChupEnvelope {
  let body: unknown;
  try {
    body = parseLossless(bodyText);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : String(error);
    throw new ProblemError(400, "invalid-json", "Invalid JSON", `The request body is not valid JSON: ${reason}`);
  }

  if (!isObject(body)) {
    throw missingField("payload", "The body must be a JSON object with `payload` and `signature`.");
  }
  const { payload, signature } = body;
  if (payload === undefined) {
    throw missingField("payload", "The body has no `payload` field.");
  }
  if (!isObject(payload)) {
    throw invalidField("payload", "`payload` must be a JSON object.");
  }
  if (payload.event === undefined) {
    throw missingField("payload.event", "The payload has no `event` field.");
  }
  if (typeof payload.event !== "string" || payload.event.length === 0) {
    throw invalidField("payload.event", "`payload.event` must be a non-empty string.");
  }
  if (payload.data === undefined || payload.data === null) {
    throw missingField("payload.data", "The payload has no `data` field.");
  }
  if (signature === undefined || signature === null || signature === "") {
    throw missingField("signature", "The body has no `signature` field.");
  }
  if (typeof signature !== "string") {
    throw invalidField("signature", "`signature` must be a string of 64 hex characters.");
  }

  return {
    payloadText: locatePayloadText(bodyText),
    payload: payload as ChupPayload,
    signature: signature.trim(),
  };
}

/**
 * Returns the exact text of the top-level `payload` value. When a key is
 * repeated, JSON.parse keeps the last one, and so does this lookup.
 */
function locatePayloadText(bodyText: string): string {
  const root = parseTree(bodyText);
  const properties = root?.children ?? [];
  let valueNode = undefined;
  for (const property of properties) {
    if (property.children?.[0]?.value === "payload") {
      valueNode = property.children[1];
    }
  }
  // parseTree reads anything JSON.parse accepted, so a miss here is a bug.
  if (!valueNode) {
    throw new Error("locatePayloadText: payload value not found after a successful parse");
  }
  return bodyText.slice(valueNode.offset, valueNode.offset + valueNode.length);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function missingField(field: string, detail: string): ProblemError {
  return new ProblemError(400, "missing-field", "Missing field", detail, { extensions: { field } });
}

function invalidField(field: string, detail: string): ProblemError {
  return new ProblemError(400, "invalid-field", "Invalid field", detail, { extensions: { field } });
}

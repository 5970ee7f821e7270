import { ProblemError } from "../http/problem";

/** Largest webhook body the gateway reads; Chup's examples are about 2 KB. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** How much of an over-size body is kept in quarantine for inspection. */
export const OVERSIZE_PREFIX_BYTES = 64 * 1024;

/** Thrown when a body passes MAX_BODY_BYTES; carries the first bytes for quarantine. */
export class BodyTooLargeError extends ProblemError {
  readonly prefix: Uint8Array;

  constructor(prefix: Uint8Array) {
    super(413, "body-too-large", "Body too large", `The request body exceeds ${MAX_BODY_BYTES} bytes; Chup webhooks are a few kilobytes.`);
    this.prefix = prefix;
  }
}

/**
 * Reads the request body once, stopping as soon as it passes
 * MAX_BODY_BYTES, so an over-size body is never held whole in memory.
 */
export async function readBodyCapped(request: Request): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (!request.body) {
    return new Uint8Array(0);
  }

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const tooLarge = () => total > MAX_BODY_BYTES || declared > MAX_BODY_BYTES;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    total += value.byteLength;
    chunks.push(value);
    // Once the body is known to be too large, read only as far as the
    // prefix kept for quarantine.
    if (tooLarge() && total >= OVERSIZE_PREFIX_BYTES) {
      await reader.cancel();
      break;
    }
  }
  if (tooLarge()) {
    throw new BodyTooLargeError(concat(chunks, OVERSIZE_PREFIX_BYTES));
  }
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], limit: number): Uint8Array {
  const size = Math.min(limit, chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= size) {
      break;
    }
    const part = chunk.subarray(0, size - offset);
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

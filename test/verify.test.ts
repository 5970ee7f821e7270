import { describe, expect, it } from "vitest";
import { parseEnvelope } from "../src/ingest/envelope";
import { encodeLikePhp, escapeStringLikePhp } from "../src/verify/php-json";
import { SignatureError, signLikeChup, signedTextCandidates, verifyChupSignature } from "../src/verify/signature";
import vectors from "./fixtures/php/vectors.json";

interface PhpVector {
  name: string;
  secret: string;
  body: string;
  signature: string;
  signedText: string;
}

const PHP_VECTORS = vectors as PhpVector[];

describe("PHP json_encode known answers", () => {
  it.each(PHP_VECTORS.map((vector) => [vector.name, vector] as const))("%s: re-encodes the payload to PHP's signed text", (_name, vector) => {
    const { payloadText } = parseEnvelope(vector.body);
    expect(encodeLikePhp(payloadText)).toBe(vector.signedText);
  });

  it.each(PHP_VECTORS.map((vector) => [vector.name, vector] as const))("%s: verifies PHP's signature", async (_name, vector) => {
    const { payloadText, signature } = parseEnvelope(vector.body);
    await expect(verifyChupSignature(payloadText, signature, [vector.secret])).resolves.toBeUndefined();
  });

  it("covers the escapes that break JSON.stringify", () => {
    const names = PHP_VECTORS.map((vector) => vector.name);
    expect(names).toEqual(expect.arrayContaining(["compact-slash", "compact-arrow", "compact-emoji", "compact-numeric-keys", "pretty-mixed", "pretty-unescaped"]));
  });
});

describe("escapeStringLikePhp", () => {
  it("escapes slash, non-ASCII and control characters", () => {
    expect(escapeStringLikePhp("a/b → 😊\t\u001f\"\\")).toBe('"a\\/b \\u2192 \\ud83d\\ude0a\\t\\u001f\\"\\\\"');
  });

  it("leaves DEL and printable ASCII alone", () => {
    expect(escapeStringLikePhp("Room 7 \u007f")).toBe('"Room 7 \u007f"');
  });
});

describe("signedTextCandidates", () => {
  it("returns one candidate for a compact PHP body", () => {
    expect(signedTextCandidates('{"a":"x\\/y"}')).toEqual(['{"a":"x\\/y"}']);
  });

  it("adds the PHP compact form for a pretty-printed payload", () => {
    expect(signedTextCandidates('{\n  "a": 1.50,\n  "b": "/"\n}')).toEqual(['{\n  "a": 1.50,\n  "b": "/"\n}', '{"a":1.50,"b":"\\/"}']);
  });
});

describe("verifyChupSignature", () => {
  const payloadText = '{"event":"live_queue_updated","data":{"id":1}}';
  const secret = "clinic-secret";

  it("accepts a signature in upper-case hex", async () => {
    const signature = (await signLikeChup(payloadText, secret)).toUpperCase();
    await expect(verifyChupSignature(payloadText, signature, [secret])).resolves.toBeUndefined();
  });

  it("accepts the second secret during a rotation", async () => {
    const signature = await signLikeChup(payloadText, "new-secret");
    await expect(verifyChupSignature(payloadText, signature, [secret, "new-secret"])).resolves.toBeUndefined();
  });

  it("rejects a tampered payload", async () => {
    const signature = await signLikeChup(payloadText, secret);
    await expect(verifyChupSignature(payloadText.replace('"id":1', '"id":2'), signature, [secret])).rejects.toThrow(SignatureError);
  });

  it("rejects a wrong secret", async () => {
    const signature = await signLikeChup(payloadText, "other-secret");
    await expect(verifyChupSignature(payloadText, signature, [secret])).rejects.toThrow(/does not match/);
  });

  it("rejects a short signature", async () => {
    const signature = (await signLikeChup(payloadText, secret)).slice(0, 63);
    await expect(verifyChupSignature(payloadText, signature, [secret])).rejects.toThrow(/64 hex characters; received 63/);
  });

  it("rejects JSON.stringify of the parsed payload as the signed text", async () => {
    const pretty = '{\n  "event": "note",\n  "data": {"content": "Registration → Treatment Room", "url": "a/b"}\n}';
    const signature = await signLikeChup(JSON.stringify(JSON.parse(pretty)), secret);
    await expect(verifyChupSignature(pretty, signature, [secret])).rejects.toThrow(SignatureError);
  });
});

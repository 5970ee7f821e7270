import { createScanner, type SyntaxKind } from "jsonc-parser";

// jsonc-parser declares SyntaxKind as a const enum, which isolated modules
// cannot read at run time; these annotated constants are checked against it.
const STRING_LITERAL: SyntaxKind.StringLiteral = 10;
const UNKNOWN_TOKEN: SyntaxKind.Unknown = 16;
const END_OF_TEXT: SyntaxKind.EOF = 17;

/**
 * Re-encodes a JSON text the way PHP's default `json_encode` writes it,
 * working from the text's own tokens so that key order, duplicate keys and
 * number text stay exactly as received. Only white space is dropped and
 * strings are re-escaped: `/` as `\/`, every character outside ASCII as a
 * lowercase `\uXXXX` escape (a surrogate pair above U+FFFF), and control
 * characters as their short escape or `\u00XX`.
 *
 * The input must already be valid JSON (the caller parsed it first).
 */
export function encodeLikePhp(jsonText: string): string {
  const scanner = createScanner(jsonText, true);
  const parts: string[] = [];

  for (let token = scanner.scan(); token !== END_OF_TEXT; token = scanner.scan()) {
    if (token === STRING_LITERAL) {
      parts.push(escapeStringLikePhp(scanner.getTokenValue()));
    } else if (token === UNKNOWN_TOKEN) {
      throw new Error(`encodeLikePhp: unexpected text at offset ${scanner.getTokenOffset()}`);
    } else {
      // Punctuation, numbers, true, false and null keep their exact text.
      parts.push(jsonText.substr(scanner.getTokenOffset(), scanner.getTokenLength()));
    }
  }
  return parts.join("");
}

const SHORT_ESCAPES: Record<number, string> = {
  0x08: "\\b",
  0x09: "\\t",
  0x0a: "\\n",
  0x0c: "\\f",
  0x0d: "\\r",
  0x22: '\\"',
  0x2f: "\\/",
  0x5c: "\\\\",
};

/** Writes one decoded string value as a PHP `json_encode` string literal. */
export function escapeStringLikePhp(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const short = SHORT_ESCAPES[unit];
    if (short !== undefined) {
      out += short;
    } else if (unit < 0x20 || unit > 0x7e) {
      // JavaScript strings are UTF-16, so a character above U+FFFF is already
      // two surrogate units here and comes out as the pair PHP writes.
      // PHP leaves DEL (0x7f) unescaped.
      out += unit === 0x7f ? value[i] : "\\u" + unit.toString(16).padStart(4, "0");
    } else {
      out += value[i];
    }
  }
  return out + '"';
}

/**
 * Name-based UUIDs (version 5, RFC 9562 section 5.5) for the `fullUrl` of
 * Bundle entries. The same identifier always gets the same UUID, so a
 * repeated event gets an identical Bundle. WebCrypto only digests
 * asynchronously, so SHA-1 is computed here to keep the Bundle builder
 * synchronous. SHA-1 serves as a name hash here, not for security.
 */

/** The RFC 9562 namespace for names that are URLs or other URIs. */
const URL_NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/** Returns the version 5 UUID of a URI in the URL namespace, e.g. for "urn:example:client:3364". */
export function uriUuid(uri: string): string {
  const namespace = hexToBytes(URL_NAMESPACE.replaceAll("-", ""));
  const name = new TextEncoder().encode(uri);
  const input = new Uint8Array(namespace.length + name.length);
  input.set(namespace, 0);
  input.set(name, namespace.length);

  const bytes = sha1(input).subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;

  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Computes the SHA-1 digest (FIPS 180-4) of a byte string. */
export function sha1(message: Uint8Array): Uint8Array {
  // Pad with 0x80, zeros, then the message length in bits as a 64-bit
  // big-endian integer, to a multiple of 64 bytes.
  const paddedLength = Math.ceil((message.length + 9) / 64) * 64;
  const padded = new Uint8Array(paddedLength);
  padded.set(message, 0);
  padded[message.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bitLength = message.length * 8;
  view.setUint32(paddedLength - 8, Math.floor(bitLength / 2 ** 32));
  view.setUint32(paddedLength - 4, bitLength >>> 0);

  const state = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const words = new Uint32Array(80);
  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let i = 0; i < 16; i++) {
      words[i] = view.getUint32(offset + i * 4);
    }
    for (let i = 16; i < 80; i++) {
      words[i] = rotateLeft(words[i - 3]! ^ words[i - 8]! ^ words[i - 14]! ^ words[i - 16]!, 1);
    }
    compressBlock(state, words);
  }

  const digest = new Uint8Array(20);
  const digestView = new DataView(digest.buffer);
  state.forEach((word, i) => digestView.setUint32(i * 4, word));
  return digest;
}

/** Applies the 80 SHA-1 rounds of one 512-bit block to the five state words. */
function compressBlock(state: number[], words: Uint32Array): void {
  let [a, b, c, d, e] = state as [number, number, number, number, number];
  for (let i = 0; i < 80; i++) {
    let mix: number;
    let constant: number;
    if (i < 20) {
      mix = (b & c) | (~b & d);
      constant = 0x5a827999;
    } else if (i < 40) {
      mix = b ^ c ^ d;
      constant = 0x6ed9eba1;
    } else if (i < 60) {
      mix = (b & c) | (b & d) | (c & d);
      constant = 0x8f1bbcdc;
    } else {
      mix = b ^ c ^ d;
      constant = 0xca62c1d6;
    }
    const next = (rotateLeft(a, 5) + mix + e + constant + words[i]!) >>> 0;
    e = d;
    d = c;
    c = rotateLeft(b, 30);
    b = a;
    a = next;
  }
  state[0] = (state[0]! + a) >>> 0;
  state[1] = (state[1]! + b) >>> 0;
  state[2] = (state[2]! + c) >>> 0;
  state[3] = (state[3]! + d) >>> 0;
  state[4] = (state[4]! + e) >>> 0;
}

function rotateLeft(word: number, bits: number): number {
  return ((word << bits) | (word >>> (32 - bits))) >>> 0;
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}

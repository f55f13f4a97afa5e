/**
 * Turning bytes from the server into something safe to put in an error message, and telling
 * Prometheus' plain-text error messages apart from binary frames.
 */

const EXCERPT_CHARS = 200;

/**
 * True when `bytes` read as UTF-8 text without control characters other than tab/CR/LF. A real
 * frame cannot pass: its header holds a CRC and its message starts with field tags and lengths,
 * which are control bytes in practice within the first few bytes. Go's `http.Error` writes the
 * error message as such text.
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  let text: string;
  try {
    // `stream: true` tolerates a multi-byte character cut off at the end of the sample.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
  } catch {
    return false;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) return false;
  }
  return true;
}

/**
 * A short, single-line, printable rendering of server bytes, safe to log: secrets are replaced
 * before cutting (so no prefix of one survives), control characters become spaces and invalid
 * UTF-8 becomes U+FFFD.
 */
export function printableExcerpt(bytes: Uint8Array, secrets: readonly string[] = [], maxChars = EXCERPT_CHARS): string {
  let text = new TextDecoder('utf-8').decode(bytes.subarray(0, 64 * 1024));
  for (const s of secrets) {
    if (s.length > 0) text = text.split(s).join('<redacted>');
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this replaces
  text = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  const chars = Array.from(text);
  return chars.length > maxChars ? `${chars.slice(0, maxChars).join('')}…` : text;
}

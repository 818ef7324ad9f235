/**
 * Received bytes made safe to show in a result, a log line or a chat message: control characters
 * (and the backslash, so the output stays unambiguous) become escapes, and long text is clipped.
 */

const NAMED: Record<string, string> = { '\r': '\\r', '\n': '\\n', '\t': '\\t', '\\': '\\\\' };

function escapeCode(code: number): string {
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
}

/** `"+PONG\r\n"` → `+PONG\r\n` with the CR LF written as visible escapes. */
export function printable(text: string): string {
  return text.replace(/[\\\x00-\x1f\x7f-\x9f\u2028\u2029]/g, (c) => NAMED[c] ?? escapeCode(c.charCodeAt(0)));
}

/** The first `max` characters, printable, with how much was left out. */
export function printableHead(text: string, max: number): string {
  return text.length <= max ? printable(text) : `${printable(text.slice(0, max))}… (${text.length - max} more chars)`;
}

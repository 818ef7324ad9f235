/**
 * A response body kept for assertions, copied into one buffer that grows up to the body cap.
 *
 * undici hands the body over as views into its read buffers, one view per parsed piece. Keeping the
 * views keeps an object per piece and every read buffer they point into: a 1 MiB body sent as
 * one-byte chunks is a million Buffer objects, about 200 MB. Copied, the body costs its own size,
 * and at most one and a half times the cap for the moment a grown buffer and its predecessor coexist.
 */

/** Without a Content-Length to go by, the first buffer; small bodies (most health checks) fit it. */
const FIRST_BYTES = 16 * 1024;

export class BodyBuffer {
  /** Bytes `[0, length)` are the body so far; the rest is spare capacity, never exposed. */
  #buf: Buffer;
  #length = 0;
  readonly #cap: number;

  /** `expected` is the Content-Length, when the response has a usable one. */
  constructor(cap: number, expected?: number) {
    this.#cap = cap;
    const first = expected !== undefined && expected >= 0 ? expected : FIRST_BYTES;
    this.#buf = Buffer.allocUnsafe(Math.min(cap, first));
  }

  get length(): number {
    return this.#length;
  }

  /** The caller has already checked that the body stays within the cap. */
  append(chunk: Uint8Array): void {
    const need = this.#length + chunk.length;
    if (need > this.#buf.length) {
      // Doubling keeps the copying linear in the body size; the cap bounds the last step.
      const grown = Buffer.allocUnsafe(Math.min(this.#cap, Math.max(need, this.#buf.length * 2)));
      this.#buf.copy(grown, 0, 0, this.#length);
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#length);
    this.#length = need;
  }

  bytes(): Buffer {
    return this.#buf.subarray(0, this.#length);
  }
}

/** A Content-Length header worth sizing a buffer by: one plain non-negative integer. */
export function contentLength(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

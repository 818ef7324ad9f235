/** The body accumulator: bytes in order, never more capacity than the cap, whatever the hint says. */
import { describe, expect, it } from 'vitest';
import { BodyBuffer, contentLength } from '../../shared/probe/body-buffer.ts';

describe('BodyBuffer', () => {
  it('keeps bytes in order across growth, one byte at a time up to exactly the cap', () => {
    const cap = 100_000;
    const b = new BodyBuffer(cap);
    for (let i = 0; i < cap; i++) b.append(Uint8Array.of(i % 251));
    const out = b.bytes();
    expect(out.length).toBe(cap);
    expect(out.buffer.byteLength).toBeLessThanOrEqual(cap);
    expect([...out.subarray(0, 3), out[cap - 1]]).toEqual([0, 1, 2, (cap - 1) % 251]);
  });

  it('sizes itself by a Content-Length, grows past one that lied, and never past the cap', () => {
    const short = new BodyBuffer(1000, 4);
    short.append(Buffer.from('abcdefgh'));
    expect(short.bytes().toString()).toBe('abcdefgh');
    // Larger than Buffer's pool, so the allocation is its own and its size is visible.
    const cap = 4 * 1024 * 1024;
    const huge = new BodyBuffer(cap, 10 ** 12);
    huge.append(Buffer.from('x'));
    expect(huge.bytes().buffer.byteLength).toBe(cap);
    expect(new BodyBuffer(0).bytes().length).toBe(0);
  });

  it('reads only a plain integer Content-Length', () => {
    expect(contentLength('42')).toBe(42);
    expect(contentLength(['1', '2'])).toBeUndefined();
    expect(contentLength('-1')).toBeUndefined();
    expect(contentLength('1e3')).toBeUndefined();
    expect(contentLength(undefined)).toBeUndefined();
  });
});

/**
 * The two messages of `grpc.health.v1.Health/Check`, encoded by hand. They have one field each, which
 * is less code than loading a .proto at run time (and no @grpc/proto-loader in the Lambda bundle).
 * Wire format: https://protobuf.dev/programming-guides/encoding/
 * Messages: https://github.com/grpc/grpc/blob/master/doc/health-checking.md
 *
 *   message HealthCheckRequest  { string service = 1; }
 *   message HealthCheckResponse { ServingStatus status = 1; }
 */
import { VantageError } from '../errors.ts';

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;
export type ServingStatusName = (typeof SERVING_STATUS)[number];

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;
/** A varint holds at most 64 bits: ten groups of seven. */
const MAX_VARINT_BYTES = 10;

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

class Reader {
  private pos = 0;
  private readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let value = 0;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new VantageError('GRPC_RESPONSE_INVALID', 'varint runs past the end of the message');
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) return value;
    }
    throw new VantageError('GRPC_RESPONSE_INVALID', 'varint longer than 10 bytes');
  }
  bytes(length: number): Buffer {
    if (this.pos + length > this.buf.length) throw new VantageError('GRPC_RESPONSE_INVALID', 'field runs past the end of the message');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  /** Unknown fields are skipped, as protobuf requires, so a newer server stays readable. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT: this.varint(); return;
      case WIRE_I64: this.bytes(8); return;
      case WIRE_LEN: this.bytes(this.varint()); return;
      case WIRE_I32: this.bytes(4); return;
      default: throw new VantageError('GRPC_RESPONSE_INVALID', `unsupported wire type ${wireType}`);
    }
  }
}

/** Each field of `buf` as (number, wire type), letting `onField` read the ones it knows. */
function readFields(buf: Buffer, onField: (field: number, wireType: number, r: Reader) => boolean): void {
  const r = new Reader(buf);
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (field === 0) throw new VantageError('GRPC_RESPONSE_INVALID', 'field number 0');
    if (!onField(field, wireType, r)) r.skip(wireType);
  }
}

export function encodeHealthRequest(service: string): Buffer {
  // proto3 leaves a field at its default out, so asking about the whole server is an empty message.
  if (service === '') return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  return Buffer.concat([Buffer.from([(1 << 3) | WIRE_LEN, ...encodeVarint(bytes.length)]), bytes]);
}

export function decodeHealthRequest(buf: Buffer): string {
  let service = '';
  readFields(buf, (field, wireType, r) => {
    if (field !== 1 || wireType !== WIRE_LEN) return false;
    service = r.bytes(r.varint()).toString('utf8');
    return true;
  });
  return service;
}

export function encodeHealthResponse(status: number): Buffer {
  if (status === 0) return Buffer.alloc(0);
  return Buffer.from([(1 << 3) | WIRE_VARINT, ...encodeVarint(status)]);
}

export type HealthResponse = { ok: true; status: number } | { ok: false; error: string };

/**
 * Never throws: grpc-js turns a throwing deserializer into an INTERNAL status that looks like the
 * server's, and a malformed message is the server's protocol error, not a gRPC status.
 */
export function decodeHealthResponse(buf: Buffer): HealthResponse {
  let status = 0;
  try {
    readFields(buf, (field, wireType, r) => {
      if (field !== 1 || wireType !== WIRE_VARINT) return false;
      status = r.varint();
      return true;
    });
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  return { ok: true, status };
}

/** The enum name, or the number for a value this version of the spec does not define. */
export function servingStatusName(status: number): string {
  return SERVING_STATUS[status] ?? `STATUS_${status}`;
}

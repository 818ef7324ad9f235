/**
 * Item codecs: domain values ⇄ the plain objects that are marshalled into DynamoDB items.
 * Keys come from keys.ts; every item carries `type` and `schemaVersion`.
 */
import { latencyOf } from '../probe/latency.ts';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { VantageError } from '../errors.ts';
import type { ResultRecord } from '../evaluate/types.ts';
import type { FailureReason, Phases, ProbeResult } from '../probe/types.ts';
import { heartbeatKey, incidentKey, instanceHeartbeatKey, MEMORY_ENTRY_PREFIX, resultKey, SCHEMA_VERSION, silenceKey, stateKey, type ItemType } from './keys.ts';

/** An item that cannot be read or written as its type: a bug or a layout from a newer version. */
export class ItemCodecError extends VantageError {
  constructor(message: string) {
    super('STORE_ITEM_INVALID', message);
  }
}

/** Results expire after this long unless the caller says otherwise. */
export const DEFAULT_RESULT_TTL_DAYS = 30;
/** A silent location's heartbeat outlives any alerting window, then goes, so retired locations vanish. */
export const DEFAULT_HEARTBEAT_TTL_DAYS = 7;
/**
 * A silence stays readable this long after it ends (`vantage silence list --all` shows it), then
 * DynamoDB's TTL deletes it, so the SILENCE partition the evaluator reads stays small.
 */
export const SILENCE_TTL_DAYS_AFTER_END = 30;
/** Failure messages are for people skimming an alert; the reason code carries the meaning. */
export const FAILURE_MESSAGE_MAX = 200;
/** The target is for people reading an alert; a longer URL is cut so one item stays under 1 KB. */
export const TARGET_MAX = 160;

const DAY_S = 86_400;

/**
 * A result as stored and as the evaluator receives it from the stream: what the policy needs
 * (ok, status, reason, time) and what an alert shows (phases, HTTP status), nothing more.
 */
export interface StoredResult {
  checkId: string;
  location: string;
  /** When the recorded attempt started, ISO 8601. */
  ts: string;
  /** What was probed (URL or host:port, never with credentials), cut to TARGET_MAX. */
  target?: string;
  ok: boolean;
  status: 'up' | 'degraded' | 'down';
  failure?: { reason: FailureReason; message: string };
  /** Milliseconds, rounded to 0.1 ms. */
  phases: Phases;
  httpStatus?: number;
  httpVersion?: string;
  /** ISO 8601: the earliest notAfter among the certificates the server presented (ProbeResult `tls.certExpiresAt`), for CERT_EXPIRING. */
  certExpiresAt?: string;
  /** Immediate retests that ran before this result was recorded (0 when the first attempt counted). */
  retries: number;
  /** Absent for a scheduled run. */
  trigger?: 'recheck' | 'confirm';
  /** The private-location instance that ran the recorded attempt. */
  instance?: string;
  /** ICMP: the echo statistics (ProbeResult `icmp` without mdev), ms rounded to 0.1; the RTT is the check's latency (latencyOf). */
  icmp?: { sent: number; received: number; lossPercent: number; rtt?: { min: number; avg: number; max: number } };
}

export interface ResultItem extends StoredResult {
  pk: string;
  sk: string;
  type: 'RESULT';
  schemaVersion: number;
  /** Epoch seconds; DynamoDB deletes the item some time after. */
  ttl: number;
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

function compactPhases(phases: Phases): Phases {
  const out: Phases = { total: round1(phases.total) };
  for (const name of ['dns', 'connect', 'tls', 'ttfb', 'transfer'] as const) {
    const v = phases[name];
    if (v !== undefined) out[name] = round1(v);
  }
  return out;
}

function compactIcmp(icmp: NonNullable<ProbeResult['icmp']>): NonNullable<StoredResult['icmp']> {
  const { sent, received, lossPercent, rtt } = icmp;
  return { sent, received, lossPercent, ...(rtt && { rtt: { min: round1(rtt.min), avg: round1(rtt.avg), max: round1(rtt.max) } }) };
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function toResultItem(result: ProbeResult, opts: { ttlDays?: number } = {}): ResultItem {
  if (result.checkId === undefined || result.location === undefined) {
    throw new ItemCodecError('a result needs checkId and location to be stored');
  }
  const ts = new Date(result.startedAt).toISOString();
  const ttlDays = opts.ttlDays ?? DEFAULT_RESULT_TTL_DAYS;
  return {
    ...resultKey(result.checkId, ts, result.location, result.instance),
    type: 'RESULT',
    schemaVersion: SCHEMA_VERSION,
    checkId: result.checkId,
    location: result.location,
    ts,
    target: truncate(result.target, TARGET_MAX),
    ok: result.ok,
    status: result.status,
    ...(result.failure && { failure: { reason: result.failure.reason, message: truncate(result.failure.message, FAILURE_MESSAGE_MAX) } }),
    phases: compactPhases(result.phases),
    ...(result.http && { httpStatus: result.http.status, httpVersion: result.http.version }),
    ...(result.tls?.certExpiresAt !== undefined && { certExpiresAt: result.tls.certExpiresAt }),
    ...(result.icmp && { icmp: compactIcmp(result.icmp) }),
    retries: result.retries ?? 0,
    ...(result.trigger !== undefined && { trigger: result.trigger }),
    ...(result.instance !== undefined && { instance: result.instance }),
    ttl: Math.floor(Date.parse(ts) / 1000) + ttlDays * DAY_S,
  };
}

function expectType(item: Record<string, unknown>, type: ItemType): void {
  if (item.type !== type) throw new ItemCodecError(`expected a ${type} item, got ${String(item.type)} (${String(item.pk)} ${String(item.sk)})`);
  const v = item.schemaVersion;
  if (typeof v !== 'number' || v > SCHEMA_VERSION) {
    throw new ItemCodecError(`${type} item ${String(item.pk)} ${String(item.sk)} has schemaVersion ${String(v)}; this build reads up to ${SCHEMA_VERSION}`);
  }
}

/** A stored result from an unmarshalled item (a table read or a stream NewImage). */
export function fromResultItem(raw: object): StoredResult {
  const item = raw as Record<string, unknown>;
  expectType(item, 'RESULT');
  const i = item as unknown as ResultItem;
  return {
    checkId: i.checkId,
    location: i.location,
    ts: i.ts,
    ...(i.target !== undefined && { target: i.target }),
    ok: i.ok,
    status: i.status,
    ...(i.failure && { failure: i.failure }),
    phases: i.phases,
    ...(i.httpStatus !== undefined && { httpStatus: i.httpStatus }),
    ...(i.httpVersion !== undefined && { httpVersion: i.httpVersion }),
    ...(i.certExpiresAt !== undefined && { certExpiresAt: i.certExpiresAt }),
    ...(i.icmp !== undefined && { icmp: i.icmp }),
    retries: i.retries ?? 0,
    ...(i.trigger !== undefined && { trigger: i.trigger }),
    ...(i.instance !== undefined && { instance: i.instance }),
  };
}

/**
 * A stored result from a stream record's `dynamodb.NewImage`. The Lambda event types declare their own
 * AttributeValue, which is the same JSON as the SDK's; hence the loose parameter type.
 */
export function resultFromStreamImage(image: Record<string, unknown>): StoredResult {
  return fromResultItem(unmarshall(image as Record<string, AttributeValue>));
}

/** The evaluator's view of a stored result (epoch ms, latency). */
export function storedResultToRecord(r: StoredResult): ResultRecord {
  return {
    checkId: r.checkId,
    location: r.location,
    ts: Date.parse(r.ts),
    ok: r.ok,
    status: r.status,
    ...(r.failure && { failure: r.failure }),
    latencyMs: latencyOf(r),
    phases: { ...r.phases },
    ...(r.target !== undefined && { target: r.target }),
    ...(r.certExpiresAt !== undefined && Number.isFinite(Date.parse(r.certExpiresAt)) && { certExpiresAt: Date.parse(r.certExpiresAt) }),
    ...(r.trigger !== undefined && { trigger: r.trigger }),
  };
}

/** A stream record's NewImage straight to what `evaluate` takes. */
export function resultRecordFromStreamImage(image: Record<string, unknown>): ResultRecord {
  return storedResultToRecord(resultFromStreamImage(image));
}

/**
 * The part of the evaluator's state (CheckState) the store relies on. The store owns `version`:
 * 0 means never written, and every write stores the version it read plus one.
 */
export interface VersionedState {
  checkId: string;
  version: number;
}

export interface StateItem<S extends VersionedState> {
  pk: string;
  sk: string;
  type: 'STATE';
  schemaVersion: number;
  checkId: string;
  version: number;
  updatedAt: string;
  body: S;
}

/** The item for `state` written as `version` (the store passes the version it read plus one). */
export function toStateItem<S extends VersionedState>(state: S, version: number, now: Date): StateItem<S> {
  return { ...stateKey(state.checkId), type: 'STATE', schemaVersion: SCHEMA_VERSION, checkId: state.checkId, version, updatedAt: now.toISOString(), body: { ...state, version } };
}

export function fromStateItem<S extends VersionedState>(item: Record<string, unknown>): S {
  expectType(item, 'STATE');
  const i = item as unknown as StateItem<S>;
  // The top-level version is the one the write condition checked; it wins over a stale copy in the body.
  return { ...i.body, version: i.version };
}

export interface StoredIncident {
  checkId: string;
  incidentId: string;
  startedAt: string;
  /** Absent while the incident is open. */
  endedAt?: string;
  /** Locations that were failing at any point of the incident. */
  locations: string[];
  firstReason?: FailureReason;
  firstMessage?: string;
}

export interface IncidentItem extends StoredIncident {
  pk: string;
  sk: string;
  type: 'INCIDENT';
  schemaVersion: number;
}

export function toIncidentItem(incident: StoredIncident): IncidentItem {
  return {
    ...incidentKey(incident.checkId, incident.startedAt, incident.incidentId),
    type: 'INCIDENT',
    schemaVersion: SCHEMA_VERSION,
    ...incident,
    ...(incident.firstMessage !== undefined && { firstMessage: truncate(incident.firstMessage, FAILURE_MESSAGE_MAX) }),
  };
}

export function fromIncidentItem(item: Record<string, unknown>): StoredIncident {
  expectType(item, 'INCIDENT');
  const { pk: _pk, sk: _sk, type: _type, schemaVersion: _v, ...incident } = item as unknown as IncidentItem;
  return incident;
}

export interface HeartbeatInfo {
  /** When the invocation ran, ISO 8601. */
  lastSeen: string;
  checksRun: number;
  /** Results that failed after retests. */
  failures?: number;
  durationMs?: number;
  /** The private-location instance that ran; its own heartbeat item is written beside the location's. */
  instance?: string;
}

export interface Heartbeat extends HeartbeatInfo {
  location: string;
}

export interface HeartbeatItem extends Heartbeat {
  pk: string;
  sk: string;
  type: 'HEARTBEAT';
  schemaVersion: number;
  ttl: number;
}

/** The location's heartbeat; with `opts.instance`, that instance's own one instead. */
export function toHeartbeatItem(location: string, info: HeartbeatInfo, opts: { ttlDays?: number; instance?: string } = {}): HeartbeatItem {
  const seen = new Date(info.lastSeen);
  return {
    ...(opts.instance !== undefined ? instanceHeartbeatKey(location, opts.instance) : heartbeatKey(location)),
    type: 'HEARTBEAT',
    schemaVersion: SCHEMA_VERSION,
    location,
    ...info,
    lastSeen: seen.toISOString(),
    ttl: Math.floor(seen.getTime() / 1000) + (opts.ttlDays ?? DEFAULT_HEARTBEAT_TTL_DAYS) * DAY_S,
  };
}

export function fromHeartbeatItem(item: Record<string, unknown>): Heartbeat {
  expectType(item, 'HEARTBEAT');
  const { pk: _pk, sk: _sk, type: _type, schemaVersion: _v, ttl: _ttl, ...heartbeat } = item as unknown as HeartbeatItem;
  return heartbeat;
}

/**
 * A location's probe memory as stored: one attribute per check (`C#<checkId>`), each an opaque entry
 * the probe cycle defines (shared/usecases/recheck.ts) and validates on read.
 */
export type MemoryEntries = Record<string, unknown>;

export const memoryAttribute = (checkId: string) => `${MEMORY_ENTRY_PREFIX}${checkId}`;

/** The entries of an unmarshalled memory item; an absent item is an empty memory. */
export function fromMemoryItem(item: Record<string, unknown> | undefined): MemoryEntries {
  if (item === undefined) return {};
  expectType(item, 'MEMORY');
  const entries: MemoryEntries = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(MEMORY_ENTRY_PREFIX)) entries[name.slice(MEMORY_ENTRY_PREFIX.length)] = value;
  }
  return entries;
}

/** An ad-hoc silence (`vantage silence`): while it covers a check, nothing is sent for it. */
export interface StoredSilence {
  /** `s-` and 8 lowercase hex digits. */
  id: string;
  /** Matches a check with any of these ids. */
  checks?: string[];
  /** Matches a check with all of these tags. At least one of checks/tags is present; with both, both must hold. */
  tags?: Record<string, string>;
  /** ISO 8601. */
  startsAt: string;
  /** ISO 8601, exclusive. An expired silence has endsAt = the time it was expired (never later than it was). */
  endsAt: string;
  /** Who or what created it (`--by`, default user@host). */
  createdBy: string;
  /** ISO 8601. */
  createdAt: string;
  comment?: string;
  /** ISO 8601: when `vantage silence expire` ended it. */
  expiredAt?: string;
}

export interface SilenceItem extends StoredSilence {
  pk: string;
  sk: string;
  type: 'SILENCE';
  schemaVersion: number;
  /** Epoch seconds: SILENCE_TTL_DAYS_AFTER_END after endsAt. */
  ttl: number;
}

/** The TTL (epoch seconds) of a silence that ends at `endsAt`. */
export const silenceTtl = (endsAt: string | number): number => Math.floor(new Date(endsAt).getTime() / 1000) + SILENCE_TTL_DAYS_AFTER_END * DAY_S;

const isIso = (v: unknown): v is string => typeof v === 'string' && Number.isFinite(Date.parse(v));

/** A silence that matches nothing or has no readable span would mute wrongly; it is refused on write and on read. */
function assertSilence(s: Partial<StoredSilence>, where: string): asserts s is StoredSilence {
  const problems: string[] = [];
  if (typeof s.id !== 'string' || !/^s-[0-9a-f]{8}$/.test(s.id)) problems.push('id');
  if (!isIso(s.startsAt)) problems.push('startsAt');
  if (!isIso(s.endsAt)) problems.push('endsAt');
  if (!isIso(s.createdAt)) problems.push('createdAt');
  if (typeof s.createdBy !== 'string') problems.push('createdBy');
  if (s.expiredAt !== undefined && !isIso(s.expiredAt)) problems.push('expiredAt');
  const checksOk = s.checks === undefined || (Array.isArray(s.checks) && s.checks.every((c) => typeof c === 'string'));
  const tagsOk = s.tags === undefined || (typeof s.tags === 'object' && s.tags !== null && Object.values(s.tags).every((v) => typeof v === 'string'));
  if (!checksOk) problems.push('checks');
  if (!tagsOk) problems.push('tags');
  if (checksOk && tagsOk && (s.checks?.length ?? 0) === 0 && Object.keys(s.tags ?? {}).length === 0) problems.push('checks or tags (a silence must match something)');
  if (problems.length > 0) throw new ItemCodecError(`silence ${where}: missing or invalid ${problems.join(', ')}`);
}

export function toSilenceItem(silence: StoredSilence): SilenceItem {
  assertSilence(silence, silence.id);
  return {
    ...silenceKey(silence.id),
    type: 'SILENCE',
    schemaVersion: SCHEMA_VERSION,
    id: silence.id,
    ...(silence.checks !== undefined && silence.checks.length > 0 && { checks: [...silence.checks] }),
    ...(silence.tags !== undefined && Object.keys(silence.tags).length > 0 && { tags: { ...silence.tags } }),
    startsAt: new Date(silence.startsAt).toISOString(),
    endsAt: new Date(silence.endsAt).toISOString(),
    createdBy: silence.createdBy,
    createdAt: new Date(silence.createdAt).toISOString(),
    ...(silence.comment !== undefined && { comment: silence.comment }),
    ...(silence.expiredAt !== undefined && { expiredAt: new Date(silence.expiredAt).toISOString() }),
    ttl: silenceTtl(silence.endsAt),
  };
}

export function fromSilenceItem(item: Record<string, unknown>): StoredSilence {
  expectType(item, 'SILENCE');
  const { pk: _pk, sk, type: _type, schemaVersion: _v, ttl: _ttl, ...silence } = item as unknown as SilenceItem;
  assertSilence(silence, String(sk));
  return silence;
}

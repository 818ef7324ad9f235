/**
 * One delivery attempt: resolve the target from the channel's config and its secrets, render the
 * requests (shared/alert/channels/render.ts), POST them in order, and say what happened. No queue and
 * no ledger: the notifier handler (./notifier-handler.ts) decides what an outcome means for the
 * message, and `vantage channels test` calls this in-process.
 *
 * Classification (from status codes and error codes, never from message text):
 * - 2xx: delivered.
 * - 408, 425, 429, 5xx, a network error, a timeout: worth retrying (RFC 9110 §15.5.9 and §15.6: the
 *   server may succeed later; RFC 8470 §5.2 for 425; RFC 6585 §4 for 429), with `Retry-After` honoured.
 * - any other status (a 3xx is not followed: a webhook that moved is a config to fix), a channel or
 *   target the definitions no longer have, a secret that does not exist or may not be read: permanent.
 *
 * Secrets: the resolved values (and a chat webhook's URL, which is its credential) are scrubbed out of
 * the response text kept for context; the URL itself never leaves this module.
 */
import { performance } from 'node:perf_hooks';
import type { DeliveryMessage } from '../../alert/delivery.ts';
import { renderDelivery, type Links, type RenderedRequest, type ResolvedTarget } from '../../alert/channels/render.ts';
import { clip } from '../../alert/text.ts';
import type { ChannelConfig } from '../../config/schema.ts';
import { VantageError } from '../../errors.ts';
import { Scrubber } from '../../probe/secrets.ts';
import type { ResolveChannelSecret } from './secrets.ts';

/** What a POST answered; `body` is at most {@link RESPONSE_HEAD_BYTES} of it, not yet scrubbed. */
export interface PostResponse {
  status: number;
  retryAfter?: string;
  body: string;
}

/** One POST with its own deadline; rejects on network errors and timeouts (AbortSignal.timeout's TimeoutError). */
export type PostFn = (request: RenderedRequest, opts: { timeoutMs: number }) => Promise<PostResponse>;

/** Enough of a response to say why it failed. */
export const RESPONSE_HEAD_BYTES = 4096;

export type AttemptOutcome =
  | { result: 'delivered'; status: number; ms: number }
  | {
    result: 'retry' | 'permanent';
    /** The HTTP status, when a response came. */
    status?: number;
    /** An error code or `HTTP <status>`. */
    error: string;
    /** From Retry-After, ms from now. */
    retryAfterMs?: number;
    ms: number;
    /** The response's head, scrubbed of every secret value and clipped. */
    detail?: string;
  };

export interface DeliverDeps {
  channels: Readonly<Record<string, ChannelConfig>>;
  resolveSecret: ResolveChannelSecret;
  /** @default fetchPost */
  post?: PostFn;
  /** ms since the epoch: renders timestamps and signatures, reads Retry-After dates. */
  clock: () => number;
  links?: Links;
  /** @default 10_000 */
  attemptTimeoutMs?: number;
}

/** The definitions no longer have this channel or target: the message cannot be delivered anywhere. */
export class DeliveryTargetUnknownError extends VantageError {
  constructor(channel: string, target: string) {
    super('DELIVERY_TARGET_UNKNOWN', `channel ${channel} has no target ${target}`);
  }
}

/**
 * Node's own fetch with a per-attempt deadline; the body is read up to the head and the rest cancelled.
 * Not the undici package the probe needs for its phase timing: importing it costs the notifier's bundle
 * about 730 KB (a slower cold start on the way to every page), and fetch is undici inside Node anyway.
 * Redirects are not followed: a webhook that moved is a config to fix, and following one would send
 * the body (and a signature) somewhere the config does not name.
 */
export const fetchPost: PostFn = async (req, { timeoutMs }) => {
  const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  if (reader) {
    try {
      while (size < RESPONSE_HEAD_BYTES) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        size += value.length;
      }
    } finally {
      // The rest is not wanted; cancelling frees the connection instead of draining a huge body.
      await reader.cancel().catch(() => {});
    }
  }
  const retryAfter = res.headers.get('retry-after');
  return {
    status: res.status,
    ...(retryAfter !== null && { retryAfter }),
    body: Buffer.concat(chunks).subarray(0, RESPONSE_HEAD_BYTES).toString('utf8'),
  };
};

const RETRY_STATUSES = new Set([408, 425, 429]);

export function isRetryStatus(status: number): boolean {
  return RETRY_STATUSES.has(status) || (status >= 500 && status <= 599);
}

/** Retry-After is delay-seconds or an HTTP-date (RFC 9110 §10.2.3); anything else is ignored. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A network failure's stable code: undici's (`UND_ERR_…`) or the system's (`ECONNREFUSED`); a timeout is `TIMEOUT`. */
export function networkErrorCode(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'TIMEOUT';
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return 'NETWORK_ERROR';
}

const WEBHOOK_KEY = /^webhook\[(\d+)\]$/;

interface Resolved {
  target: ResolvedTarget;
  /** Every value that must not be seen: resolved secrets and credential URLs. */
  secrets: string[];
}

/** A URL and its path with query: a receiver echoing the request line shows the path alone. */
function urlForms(url: string): string[] {
  try {
    const u = new URL(url);
    return [url, `${u.pathname}${u.search}`];
  } catch {
    return [url];
  }
}

async function resolveTarget(message: DeliveryMessage, channels: Readonly<Record<string, ChannelConfig>>, resolve: ResolveChannelSecret): Promise<Resolved> {
  const config = Object.hasOwn(channels, message.channel) ? channels[message.channel] : undefined;
  const unknown = () => new DeliveryTargetUnknownError(message.channel, message.target);
  if (config === undefined) throw unknown();
  const hook = WEBHOOK_KEY.exec(message.target);
  if (hook) {
    const entry = config.webhook[Number(hook[1])];
    if (entry === undefined || message.kind !== 'webhook') throw unknown();
    const secret = entry.secret !== undefined ? await resolve(entry.secret) : undefined;
    return { target: { kind: 'webhook', url: entry.url, ...(secret !== undefined && { secret }) }, secrets: [...urlForms(entry.url), ...(secret !== undefined ? [secret] : [])] };
  }
  if (message.target !== message.kind) throw unknown();
  switch (message.kind) {
    case 'slack':
    case 'teams': {
      const chat = config[message.kind];
      if (chat === undefined) throw unknown();
      // `url` wins over `webhook` (the config's rule); either way the URL is the credential.
      const url = chat.url ?? (chat.webhook !== undefined ? await resolve(chat.webhook) : undefined);
      if (url === undefined) throw unknown();
      return { target: { kind: message.kind, url }, secrets: urlForms(url) };
    }
    case 'pagerduty': {
      const pd = config.pagerduty;
      if (pd === undefined) throw unknown();
      const routingKey = await resolve(pd.routingKey);
      return { target: { kind: 'pagerduty', url: pd.url, routingKey }, secrets: [routingKey] };
    }
    default:
      throw unknown();
  }
}

/** A secret that will not appear by waiting is permanent; throttling or an unreachable service is not. */
function secretOutcome(err: unknown): 'retry' | 'permanent' {
  const reason = (err as { reason?: unknown }).reason;
  return reason === 'unavailable' ? 'retry' : 'permanent';
}

function failure(result: 'retry' | 'permanent', error: string, ms: number, extra: { status?: number; retryAfterMs?: number; detail?: string } = {}): AttemptOutcome {
  return { result, error, ms, ...extra };
}

export async function deliverOnce(message: DeliveryMessage, deps: DeliverDeps, attempt = 1): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let resolved: Resolved;
  try {
    resolved = await resolveTarget(message, deps.channels, deps.resolveSecret);
  } catch (err) {
    if (err instanceof VantageError && err.code === 'DELIVERY_TARGET_UNKNOWN') return failure('permanent', err.code, elapsed());
    if (err instanceof VantageError && err.code === 'SECRET_UNRESOLVED') return failure(secretOutcome(err), err.code, elapsed());
    throw err;
  }
  const scrubber = new Scrubber(resolved.secrets);
  const post = deps.post ?? fetchPost;
  const timeoutMs = deps.attemptTimeoutMs ?? 10_000;
  let requests: RenderedRequest[];
  try {
    requests = renderDelivery(message, resolved.target, { now: deps.clock(), links: deps.links ?? {}, attempt });
  } catch {
    // A body the renderer cannot read (a hand-written or damaged queue message) never will be: retrying
    // would only hold its group for the whole retry budget. The error itself is not kept: it may quote the body.
    return failure('permanent', 'DELIVERY_MESSAGE_INVALID', elapsed());
  }
  let status = 0;
  for (const req of requests) {
    let res: PostResponse;
    try {
      res = await post(req, { timeoutMs });
    } catch (err) {
      return failure('retry', networkErrorCode(err), elapsed());
    }
    status = res.status;
    if (status >= 200 && status <= 299) continue;
    const after = retryAfterMs(res.retryAfter, deps.clock());
    const detail = res.body.trim() === '' ? undefined : clip(scrubber.scrub(res.body), 300);
    return failure(isRetryStatus(status) ? 'retry' : 'permanent', `HTTP ${status}`, elapsed(), {
      status,
      ...(after !== undefined && { retryAfterMs: after }),
      ...(detail !== undefined && { detail }),
    });
  }
  return { result: 'delivered', status, ms: elapsed() };
}

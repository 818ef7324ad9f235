/**
 * Keeps the deployed status page current: the sweep calls `refresh(now)` every minute (last, after the
 * evaluation), and this decides whether to render and whether to write.
 *
 * - It renders at most once per `minIntervalMs` (5 minutes): rendering reads every check's rollups,
 *   and a page a few minutes old is what people expect of a status page.
 * - It writes only when the page changed, apart from its generated-at stamp, or when the last write is
 *   older than REPUBLISH_MS: a page "Updated" hours ago tells its readers that Vantage itself stopped,
 *   which an unchanged "all up" must not hide.
 * - A failed render or write is logged and tried again at the next refresh, without waiting out the
 *   interval. It never throws: the page is not worth failing a sweep for.
 *
 * The state lives in the function's memory, so a cold start writes once more than needed; that is one
 * PutObject, and it keeps the sweep free of another table item.
 */
import { errorFields, type Logger } from '../../logging/logger.ts';
import { stripGeneratedAt } from './render.ts';

/** The default of `minIntervalMs`: at most 12 renders and writes an hour. */
export const STATUS_PAGE_MIN_INTERVAL_MS = 5 * 60_000;
/** An unchanged page is written again after this, so its generated-at stamp never lags by more. */
export const REPUBLISH_MS = 60 * 60_000;

export interface StatusPageRefresherDeps {
  /** The whole page, as of `now`. */
  render(now: number): Promise<string>;
  /** Writes the page where people read it. */
  put(html: string): Promise<void>;
  logger: Logger;
  /** @default STATUS_PAGE_MIN_INTERVAL_MS */
  minIntervalMs?: number;
  /** The part of a render that decides whether it changed. @default stripGeneratedAt (./render.ts) */
  comparable?: (html: string) => string;
}

export interface StatusPageRefresher {
  refresh(now: number): Promise<void>;
}

export function createStatusPageRefresher(deps: StatusPageRefresherDeps): StatusPageRefresher {
  const minIntervalMs = deps.minIntervalMs ?? STATUS_PAGE_MIN_INTERVAL_MS;
  const comparable = deps.comparable ?? stripGeneratedAt;
  // Invariant: `renderedAt` is the time of the last render that was attempted and did not fail;
  // `failed` is true iff the last attempt (render or write) failed, and then the next refresh runs.
  let renderedAt: number | undefined;
  let failed = false;
  let published: { at: number; comparable: string } | undefined;
  let running: Promise<void> | undefined;

  const attempt = async (now: number): Promise<void> => {
    if (!failed && renderedAt !== undefined && now - renderedAt < minIntervalMs) return;
    let html: string;
    let part: string;
    try {
      html = await deps.render(now);
      part = comparable(html);
    } catch (err) {
      failed = true;
      deps.logger.error('status page not rendered', errorFields(err));
      return;
    }
    renderedAt = now;
    if (published && published.comparable === part && now - published.at < REPUBLISH_MS) {
      failed = false;
      return;
    }
    try {
      await deps.put(html);
    } catch (err) {
      failed = true;
      deps.logger.error('status page not published', { ...errorFields(err), retry: 'next sweep' });
      return;
    }
    failed = false;
    deps.logger.info('status page published', { bytes: Buffer.byteLength(html), changed: published?.comparable !== part });
    published = { at: now, comparable: part };
  };

  return {
    // One refresh at a time: a sweep that overlaps the previous one waits for it instead of rendering twice.
    refresh(now) {
      running ??= attempt(now).catch((err: unknown) => deps.logger.error('status page refresh failed', errorFields(err))).finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}

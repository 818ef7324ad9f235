/**
 * The deployed evaluator's status page: with STATUS_PAGE_BUCKET (StatusPage.bindPublisher in
 * cdk/constructs/status-page.ts), the sweep's `statusPage` renders the page from the table and writes
 * it to that bucket; without it, no page. Kept apart from ./handler.ts so the wiring is one call there.
 *
 * The S3 client is bundled whether or not a deployment has a page (about 155 KB of the evaluator's
 * 635 KB, minified). Loading it lazily was measured and saved nothing: esbuild defers a dynamic
 * import's evaluation, but the cold start's cost is compiling the bundle, which still holds it.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createS3StatusPagePut } from '../../shared/aws/status-page-bucket.ts';
import type { Logger } from '../../shared/logging/logger.ts';
import { cacheSettledHours } from '../../shared/usecases/status-page/hour-cache.ts';
import { loadStatusPageInputs, type StatusPageSources } from '../../shared/usecases/status-page/inputs.ts';
import { buildStatusModel, type StatusPageCheck } from '../../shared/usecases/status-page/model.ts';
import { createStatusPageRefresher, type StatusPageRefresher } from '../../shared/usecases/status-page/publish.ts';
import { renderStatusPage } from '../../shared/usecases/status-page/render.ts';

export interface StatusPageWiring extends StatusPageSources {
  checks: readonly StatusPageCheck[];
  logger: Logger;
  /** @default an S3Client for the function's own region (the bucket is in the home stack, as the function is) */
  s3?: S3Client;
}

/** `{ statusPage }` for the sweep's deps, or nothing when the deployment has no status page. */
export function statusPageDeps(env: { STATUS_PAGE_BUCKET?: string | undefined; STATUS_PAGE_TITLE?: string | undefined }, wiring: StatusPageWiring): { statusPage?: StatusPageRefresher } {
  const bucket = env.STATUS_PAGE_BUCKET;
  if (bucket === undefined) return {};
  const title = env.STATUS_PAGE_TITLE;
  // Bounded like the handler's other clients; the SDK's own retries (3 attempts) stay, and what still
  // fails is retried by the next sweep.
  const s3 = wiring.s3 ?? new S3Client({ requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 } });
  // The container keeps settled hours between renders: a render then reads a few hours, not 90 days.
  const sources: StatusPageSources = { store: wiring.store, rollups: cacheSettledHours(wiring.rollups) };
  return {
    statusPage: createStatusPageRefresher({
      render: async (now) => renderStatusPage(buildStatusModel(await loadStatusPageInputs(sources, { checks: wiring.checks, now, ...(title !== undefined && { title }) }))),
      put: createS3StatusPagePut(s3, bucket),
      logger: wiring.logger,
    }),
  };
}

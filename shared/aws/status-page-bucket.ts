/**
 * The deployed status page's one write: PutObject of `index.html` into the status page bucket
 * (cdk/constructs/status-page.ts), which CloudFront serves through its origin access control.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 *
 * `Cache-Control: max-age=60` is what sets CloudFront's TTL for it (the distribution's managed
 * CachingOptimized policy honours an origin's max-age between its minimum of 1 s and maximum of a
 * year), and browsers' too: a viewer sees a new page within a minute of the put.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html
 *
 * A failure is a StatusPagePutError (`STATUS_PAGE_PUT_FAILED`) naming the AWS error; the refresher
 * (../usecases/status-page/publish.ts) logs it and tries again at the next sweep.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { VantageError } from '../errors.ts';
import { awsErrorName } from './aws-error.ts';

/** The object key: the distribution's default root object, so the bare URL serves it. */
export const STATUS_PAGE_KEY = 'index.html';
export const STATUS_PAGE_CONTENT_TYPE = 'text/html; charset=utf-8';
export const STATUS_PAGE_CACHE_CONTROL = 'max-age=60';
/** Bound on one put: the sweep runs every minute and the page waits for the next one. */
export const STATUS_PAGE_PUT_TIMEOUT_MS = 10_000;

export class StatusPagePutError extends VantageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STATUS_PAGE_PUT_FAILED', message, options);
  }
}

/** The `put` of the status page refresher, writing to `bucket` through `client`. */
export function createS3StatusPagePut(client: S3Client, bucket: string, opts: { timeoutMs?: number } = {}): (html: string) => Promise<void> {
  return async (html) => {
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: STATUS_PAGE_KEY,
          Body: html,
          ContentType: STATUS_PAGE_CONTENT_TYPE,
          CacheControl: STATUS_PAGE_CACHE_CONTROL,
        }),
        { abortSignal: AbortSignal.timeout(opts.timeoutMs ?? STATUS_PAGE_PUT_TIMEOUT_MS) },
      );
    } catch (err) {
      throw new StatusPagePutError(`writing the status page to s3://${bucket}/${STATUS_PAGE_KEY} failed: ${awsErrorName(err)}`, { cause: err });
    }
  };
}

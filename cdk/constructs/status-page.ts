/**
 * The deployed status page (`deployment.statusPage`): one object, `index.html`, in a private bucket
 * that only this distribution may read, through an origin access control, and that only the
 * evaluator may write (bindPublisher). Nothing here is public but the distribution's HTTPS URL.
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
 */
import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { STATUS_PAGE_KEY } from '../../shared/aws/status-page-bucket.ts';
import { STATUS_PAGE_CSP } from '../../shared/usecases/status-page/render.ts';
import type { VantageFunction } from './vantage-function.ts';

/** How long the access logs are kept: long enough to look back over a quarter's incidents. */
const LOG_RETENTION = Duration.days(90);

export interface StatusPageProps {
  /** The page's title, for the evaluator's renderer (STATUS_PAGE_TITLE). @default the renderer's own */
  readonly title?: string;
  /**
   * Host names of your own with an ACM certificate in us-east-1 covering them.
   * @default none: the distribution's `*.cloudfront.net` name and CloudFront's default certificate
   */
  readonly domain?: { readonly names: readonly string[]; readonly certificateArn: string };
}

export class StatusPage extends Construct {
  readonly bucket: s3.Bucket;
  /** Receives the bucket's server access logs (`s3/`) and the distribution's standard logs (`cloudfront/`). */
  readonly logs: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly headers: cloudfront.ResponseHeadersPolicy;
  /** `https://…/`, where the page is read. */
  readonly url: string;
  private readonly title: string | undefined;

  constructor(scope: Construct, id: string, props: StatusPageProps = {}) {
    super(scope, id);
    this.title = props.title;
    this.logs = this.logsBucket();
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // No ACLs at all: access is the bucket policy's, which names only the distribution.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The page is rewritten every few minutes and regenerated from the table: old versions are
      // worth nothing, and versioning would keep every one of them.
      versioned: false,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 's3/',
      // A bucket name can be taken by anyone once released; keep it with the deployment's history.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Vantage status page: strict security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: STATUS_PAGE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        // Two years, as hstspreload.org asks of a domain; the page is never served over plain HTTP.
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          // The page asks for no powerful feature; deny the ones a browser would otherwise allow.
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), interest-cohort=()', override: true },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
          { header: 'Cross-Origin-Resource-Policy', value: 'same-origin', override: true },
        ],
      },
    });
    this.distribution = this.createDistribution(props);
    this.url = `https://${props.domain?.names[0] ?? this.distribution.distributionDomainName}/`;
    new CfnOutput(this, 'Url', { value: this.url, description: 'The Vantage status page' });
  }

  /**
   * Grants the function PutObject on exactly the page's object, and tells it where
   * (STATUS_PAGE_BUCKET, and STATUS_PAGE_TITLE when the config gives one). Nothing else: no read,
   * no list, no delete, no other key.
   */
  bindPublisher(fn: VantageFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ sid: 'PutStatusPage', actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(STATUS_PAGE_KEY)] }));
    fn.function.addEnvironment('STATUS_PAGE_BUCKET', this.bucket.bucketName);
    if (this.title !== undefined) fn.function.addEnvironment('STATUS_PAGE_TITLE', this.title);
  }

  private createDistribution(props: StatusPageProps): cloudfront.Distribution {
    const distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Vantage status page',
      defaultRootObject: STATUS_PAGE_KEY,
      defaultBehavior: {
        // Creates the origin access control (SigV4, always signing) and the bucket policy statement
        // that lets this distribution, and no other, GetObject (AWS:SourceArn).
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        // The managed policy compresses (gzip and Brotli) and, as its minimum TTL is 1 s, caches for
        // what the object's own Cache-Control says: max-age=60, set by every put
        // (shared/aws/status-page-bucket.ts). A page rewritten every 5 minutes at most is then at most
        // a minute stale at the edge, with no custom cache policy (20 per account) to keep.
        // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        compress: true,
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // North America and Europe edges only: the cheapest class; other viewers are served from them.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: 'cloudfront/',
      ...(props.domain && {
        domainNames: [...props.domain.names],
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
        minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      }),
    });
    this.acknowledge(distribution, props);
    return distribution;
  }

  /**
   * CloudFront's standard logs are written with an ACL grant to the awslogsdelivery account, so this
   * bucket keeps ACLs (BUCKET_OWNER_PREFERRED: the bucket owner still owns what is delivered); S3's
   * access logs come in through the bucket policy CDK writes (serverAccessLogsUseBucketPolicy).
   * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html
   */
  private logsBucket(): s3.Bucket {
    const logs = new s3.Bucket(this, 'Logs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: LOG_RETENTION, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is where the status page bucket and its distribution log to; logging its own access into itself would log each log delivery, without end.',
    });
    return logs;
  }

  private acknowledge(distribution: cloudfront.Distribution, props: StatusPageProps): void {
    Validations.of(distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'A status page is for everyone who depends on the checked services, wherever they are; it holds no content that a country restriction would protect.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'One static object behind a one-minute cache, with GET and HEAD only: a web ACL (about $5 a month plus rules) would guard nothing an origin could be hurt by; CloudFront absorbs floods with AWS Shield Standard.',
      },
    );
    if (!props.domain) {
      Validations.of(distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason: 'Without a domain of its own the distribution can only use CloudFront\'s default *.cloudfront.net certificate, whose security policy CloudFront fixes; deployment.statusPage.domain adds a certificate with TLSv1.2_2021 as the minimum.',
      });
    }
  }
}

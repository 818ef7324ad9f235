/**
 * The deployed status page (`deployment.statusPage`), synthesized in the real app and read as
 * CloudFormation: a private, encrypted, TLS-only bucket that only the distribution reads (origin
 * access control), only the evaluator writes (index.html, nothing else), and nothing at all without
 * the opt-in. Bundling is skipped, as in variants.test.ts: app.test.ts bundles the real thing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATUS_PAGE_CSP } from '../../shared/usecases/status-page/render.ts';
import { buildVantage, type VantageStacks } from '../../cdk/vantage.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import { acknowledgements, actionsOf, cdkContext, policiesOf } from './template-walk.ts';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
/** CloudFront's managed CachingOptimized policy. https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';

function configWith(statusPage: string): string {
  return `
deployment:
  homeRegion: eu-west-1
  locations: [eu-west-1]
${statusPage}
defaults: { locations: [eu-west-1] }
checks:
  - id: api
    http: { url: "https://api.example.com/health" }
`;
}

function synth(statusPage: string) {
  const outdir = mkdtempSync(join(tmpdir(), 'vantage-cdk-status-page-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildVantage(app, loadConfigText(configWith(statusPage)));
  return { app, stacks, template: Template.fromStack(stacks.home) };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;
const resourcesOf = (t: Template) => t.toJSON()['Resources'] as Resources;
const idOf = (t: Template, type: string, where: (props: Record<string, unknown>) => boolean = () => true) => {
  const ids = Object.entries(resourcesOf(t)).filter(([, r]) => r.Type === type && where(r.Properties ?? {})).map(([id]) => id);
  expect(ids, type).toHaveLength(1);
  return ids[0]!;
};
const typeCounts = (t: Template) => Object.values(resourcesOf(t)).reduce<Record<string, number>>((m, r) => ({ ...m, [r.Type]: (m[r.Type] ?? 0) + 1 }), {});

let app: App;
let stacks: VantageStacks;
let t: Template;
let pageBucket: string;
let logsBucket: string;
let distribution: string;

beforeAll(() => {
  ({ app, stacks, template: t } = synth('  statusPage: { enabled: true, title: "Acme status" }'));
  pageBucket = idOf(t, 'AWS::S3::Bucket', (p) => p['LoggingConfiguration'] !== undefined);
  logsBucket = idOf(t, 'AWS::S3::Bucket', (p) => p['LoggingConfiguration'] === undefined);
  distribution = idOf(t, 'AWS::CloudFront::Distribution');
}, 120_000);

describe('the status page bucket', () => {
  it('is private (all four public-access blocks), encrypted, without ACLs or versions, logged, and retained', () => {
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: logsBucket }, LogFilePrefix: 's3/' },
      },
    });
    expect(resourcesOf(t)[pageBucket]!.Properties!['VersioningConfiguration']).toBeUndefined();
  });

  it('lets only this distribution read, only GetObject, and denies everything over plain HTTP', () => {
    const policy = resourcesOf(t)[idOf(t, 'AWS::S3::BucketPolicy', (p) => JSON.stringify(p['Bucket']) === JSON.stringify({ Ref: pageBucket }))]!;
    const statements = (policy.Properties!['PolicyDocument'] as { Statement: Array<Record<string, unknown>> }).Statement;
    const bucketArn = { 'Fn::GetAtt': [pageBucket, 'Arn'] };
    expect(statements).toEqual([
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }],
      },
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Condition: { StringEquals: { 'AWS:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudfront::', { Ref: 'AWS::AccountId' }, ':distribution/', { Ref: distribution }]] } } },
        Resource: { 'Fn::Join': ['', [bucketArn, '/*']] },
      },
    ]);
  });

  it('logs into a bucket of its own that is private, encrypted, TLS-only, expires logs and takes CloudFront\'s ACL delivery', () => {
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
      },
    });
    const policy = resourcesOf(t)[idOf(t, 'AWS::S3::BucketPolicy', (p) => JSON.stringify(p['Bucket']) === JSON.stringify({ Ref: logsBucket }))]!;
    const statements = (policy.Properties!['PolicyDocument'] as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(statements.find((s) => s['Effect'] === 'Deny')).toMatchObject({ Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(statements.filter((s) => s['Effect'] === 'Allow')).toEqual([expect.objectContaining({ Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' })]);
  });
});

describe('the distribution', () => {
  it('reaches the bucket through an origin access control (SigV4, always signing), with no origin access identity', () => {
    const oac = idOf(t, 'AWS::CloudFront::OriginAccessControl');
    t.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    t.resourceCountIs('AWS::CloudFront::CloudFrontOriginAccessIdentity', 0);
    const origins = (resourcesOf(t)[distribution]!.Properties!['DistributionConfig'] as { Origins: Array<Record<string, unknown>> }).Origins;
    expect(origins).toEqual([{
      DomainName: { 'Fn::GetAtt': [pageBucket, 'RegionalDomainName'] },
      Id: expect.any(String),
      OriginAccessControlId: { 'Fn::GetAtt': [oac, 'Id'] },
      // Empty: CloudFront wants the S3 origin block, and an empty identity means none.
      S3OriginConfig: { OriginAccessIdentity: '' },
    }]);
  });

  it('serves index.html over HTTPS only (redirect), GET and HEAD, cached by CachingOptimized, HTTP/2 and 3, price class 100, logged', () => {
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        HttpVersion: 'http2and3',
        PriceClass: 'PriceClass_100',
        Enabled: true,
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
          CachePolicyId: CACHING_OPTIMIZED,
          Compress: true,
          ResponseHeadersPolicyId: { Ref: idOf(t, 'AWS::CloudFront::ResponseHeadersPolicy') },
        }),
        Logging: { Bucket: { 'Fn::GetAtt': [logsBucket, 'RegionalDomainName'] }, Prefix: 'cloudfront/' },
      }),
    });
    // No domain of its own: CloudFront's default certificate (CFR4, acknowledged below).
    expect((resourcesOf(t)[distribution]!.Properties!['DistributionConfig'] as Record<string, unknown>)['ViewerCertificate']).toBeUndefined();
  });

  it('sends strict security headers: the CSP exactly, HSTS, nosniff, DENY framing, no referrer', () => {
    t.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: STATUS_PAGE_CSP, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          StrictTransportSecurity: { AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true },
        },
      }),
    });
    expect(STATUS_PAGE_CSP).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  });

  it('outputs the page\'s URL', () => {
    t.hasOutput('*', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }, '/']] } });
  });
});

describe('the evaluator', () => {
  it('may PutObject exactly <bucket>/index.html, and nothing else on either bucket', () => {
    const role = stacks.home.resolve(stacks.home.evaluator.fn.role.roleName) as unknown;
    const pageArn = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [pageBucket, 'Arn'] }, '/index.html']] };
    const statements = policiesOf(t.toJSON() as { Resources: Record<string, Record<string, unknown>> })
      .filter((p) => p.type === 'AWS::IAM::Policy' && JSON.stringify(resourcesOf(t)[p.where]!.Properties!['Roles']) === JSON.stringify([role]))
      .flatMap((p) => p.statements);
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')) || JSON.stringify(s).includes(pageBucket) || JSON.stringify(s).includes(logsBucket));
    expect(s3).toEqual([{ Sid: 'PutStatusPage', Effect: 'Allow', Action: 's3:PutObject', Resource: pageArn }]);
  });

  it('is told the bucket and the title', () => {
    const fn = resourcesOf(t)[stacks.home.getLogicalId(stacks.home.evaluator.fn.function.node.defaultChild as never)]!;
    expect((fn.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      STATUS_PAGE_BUCKET: { Ref: pageBucket },
      STATUS_PAGE_TITLE: 'Acme status',
    });
  });
});

describe('cdk-nag', () => {
  it('passes AwsSolutions, acknowledging only what a page without a domain of its own cannot fix, each with a reason', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
    const acks = acknowledgements(app).filter((a) => a.path.includes('/StatusPage/'));
    expect(acks.map(({ path, id }) => `${path} ${id}`).sort()).toEqual([
      'Vantage-Home/StatusPage/Distribution AwsSolutions-CFR1',
      'Vantage-Home/StatusPage/Distribution AwsSolutions-CFR2',
      'Vantage-Home/StatusPage/Distribution AwsSolutions-CFR4',
      'Vantage-Home/StatusPage/Logs AwsSolutions-S1',
    ]);
    expect(acks.every((a) => a.reason.length > 40)).toBe(true);
  });
});

describe('with a domain of its own', () => {
  it('answers for the names with the certificate at TLSv1.2_2021, SNI, and needs no CFR4 acknowledgement', () => {
    const { app: withDomain, template } = synth(`  statusPage:\n    enabled: true\n    domain: { names: [status.example.com], certificateArn: "${CERT}" }`);

    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['status.example.com'],
        ViewerCertificate: { AcmCertificateArn: CERT, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
      }),
    });
    template.hasOutput('*', { Value: 'https://status.example.com/' });
    expect(new AwsSolutionsChecks().validateScope(withDomain).violations).toEqual([]);
    expect(acknowledgements(withDomain).map((a) => a.id)).not.toContain('AwsSolutions-CFR4');
  });
});

describe('without the opt-in', () => {
  it('synthesizes no bucket, distribution or headers policy, and the same home stack for enabled: false', () => {
    const absent = synth('').template;
    const disabled = synth('  statusPage: { enabled: false }').template;

    const added = Object.fromEntries(Object.entries(typeCounts(t)).map(([type, n]) => [type, n - (typeCounts(absent)[type] ?? 0)]).filter(([, n]) => n !== 0));
    expect(added).toEqual({
      'AWS::S3::Bucket': 2,
      'AWS::S3::BucketPolicy': 2,
      'AWS::CloudFront::Distribution': 1,
      'AWS::CloudFront::OriginAccessControl': 1,
      'AWS::CloudFront::ResponseHeadersPolicy': 1,
    });
    expect(Object.keys(typeCounts(absent)).filter((type) => /S3|CloudFront/.test(type))).toEqual([]);
    // The same but for the functions' asset hashes, which differ between any two synths of one config
    // here (each synthesizes into a fresh directory).
    const assetless = (x: Template) => JSON.parse(JSON.stringify(x.toJSON()).replace(/"S3Key":"[0-9a-f]{64}\.zip"/g, '"S3Key":"ASSET"')) as unknown;
    expect(assetless(disabled)).toEqual(assetless(absent));
    expect(JSON.stringify(absent.toJSON())).not.toContain('STATUS_PAGE');
  });
});

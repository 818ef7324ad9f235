/**
 * Read access to exactly the secrets a function's config names (../secret-refs.ts): GetSecretValue on
 * each secret ARN, GetParameter on each parameter ARN, and kms:Decrypt on customer-managed keys only
 * through the service that holds the secret. A function whose config names no secret gets no statement.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type { KmsGrant, SecretGrant } from '../secret-refs.ts';

/** Whose role gets the statements: a function (./vantage-function.ts) or an agent location's role (./agent-location.ts). */
export interface RolePolicyTarget {
  addToRolePolicy(statement: iam.PolicyStatement): void;
}

export interface SecretReads {
  readonly secrets: readonly SecretGrant[];
  /** @default none */
  readonly kmsGrants?: readonly KmsGrant[];
  /** What the secrets belong to, in the statement ids: `ReadCheckSecrets`, `ReadChannelSecrets`, … */
  readonly owner: 'Check' | 'Channel';
}

export function grantSecretReads(fn: RolePolicyTarget, reads: SecretReads): void {
  const secretArns = reads.secrets.filter((s) => s.service === 'secretsmanager').map((s) => s.arn);
  const parameterArns = reads.secrets.filter((s) => s.service === 'ssm').map((s) => s.arn);
  if (secretArns.length > 0) {
    fn.addToRolePolicy(new iam.PolicyStatement({ sid: `Read${reads.owner}Secrets`, actions: ['secretsmanager:GetSecretValue'], resources: secretArns }));
  }
  if (parameterArns.length > 0) {
    fn.addToRolePolicy(new iam.PolicyStatement({ sid: `Read${reads.owner}Parameters`, actions: ['ssm:GetParameter'], resources: parameterArns }));
  }
  for (const grant of reads.kmsGrants ?? []) {
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: `Decrypt${reads.owner}Secrets${grant.region.replace(/[^A-Za-z0-9]/g, '')}`,
      actions: ['kms:Decrypt'],
      resources: [...grant.keyArns],
      conditions: { StringEquals: { 'kms:ViaService': [...grant.viaServices] } },
    }));
  }
}

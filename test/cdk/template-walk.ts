/**
 * Helpers for reading synthesized templates: every policy document in a template, and every IAM action
 * in them, whatever resource type carries it.
 */
import { readFileSync } from 'node:fs';
import { Validations, type App } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

type Json = Record<string, unknown>;

export interface FoundPolicy {
  /** `LogicalId` or `LogicalId.Policies[0]` */
  where: string;
  type: string;
  statements: Json[];
}

/** Resource type → where its policy documents are. */
const POLICY_DOCUMENTS: Record<string, (props: Json) => Json[]> = {
  'AWS::IAM::Policy': (p) => [p['PolicyDocument'] as Json],
  'AWS::IAM::ManagedPolicy': (p) => [p['PolicyDocument'] as Json],
  'AWS::IAM::Role': (p) => [p['AssumeRolePolicyDocument'] as Json, ...((p['Policies'] as Json[] | undefined) ?? []).map((x) => x['PolicyDocument'] as Json)],
  'AWS::SNS::TopicPolicy': (p) => [p['PolicyDocument'] as Json],
  'AWS::SQS::QueuePolicy': (p) => [p['PolicyDocument'] as Json],
  'AWS::S3::BucketPolicy': (p) => [p['PolicyDocument'] as Json],
  'AWS::KMS::Key': (p) => [p['KeyPolicy'] as Json],
  'AWS::Lambda::Permission': () => [],
};

export function policiesOf(template: { Resources?: Record<string, Json> }): FoundPolicy[] {
  const out: FoundPolicy[] = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const type = resource['Type'] as string;
    const props = (resource['Properties'] ?? {}) as Json;
    const read = POLICY_DOCUMENTS[type];
    if (read) {
      read(props).filter(Boolean).forEach((doc, i) => {
        const statements = ([] as Json[]).concat((doc['Statement'] as Json[] | Json | undefined) ?? []);
        out.push({ where: i === 0 ? id : `${id}[${i}]`, type, statements });
      });
    } else if (JSON.stringify(props).includes('"Statement"')) {
      throw new Error(`${id} (${type}) carries a policy document this walk does not know; add it to POLICY_DOCUMENTS`);
    }
  }
  return out;
}

export function actionsOf(statement: Json): string[] {
  return ([] as unknown[]).concat(statement['Action'] ?? [], statement['NotAction'] ?? []).map(String);
}

/** Every acknowledged rule id in the tree, with the construct path it was acknowledged on. */
export function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  const out: Array<{ path: string; id: string; reason: string }> = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return out;
}

/** cdk.json's context (feature flags and the default config), which the CLI hands to the app. */
export function cdkContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> }).context;
}

export type { App };

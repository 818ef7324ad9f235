/**
 * A probe stack: one location's probe function, its schedule, its network (for a private location),
 * and the alarm that notices when it goes silent. Deployed into the location's region.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PrivateLocationConfig } from '../../shared/config/deployment.ts';
import { HeartbeatAlarm } from '../constructs/heartbeat-alarm.ts';
import { OpsTopic } from '../constructs/ops-topic.ts';
import { PrivateNetwork } from '../constructs/private-network.ts';
import { ProbeFunction, type ProbeFunctionProps } from '../constructs/probe-function.ts';
import type { SecretGrant } from '../secret-refs.ts';

/** What the probe function needs (documented on ProbeFunctionProps), plus the stack's own parts. */
export interface ProbeStackProps extends StackProps, Pick<ProbeFunctionProps, 'location' | 'checks' | 'bundledFiles' | 'tableName' | 'tableArn' | 'homeRegion' | 'kmsGrants' | 'lambda'> {
  readonly opsTopicName: string;
  /** @default no subscriptions */
  readonly opsEmails?: readonly string[];
  /** @default none */
  readonly secrets?: readonly SecretGrant[];
  /** @default a public AWS location (no VPC) */
  readonly privateLocation?: PrivateLocationConfig;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'functions/probe/handler.ts' */
  readonly entry?: string;
  /** Emit the phases as EMF metrics too (`deployment.metrics.phases`). @default false */
  readonly phaseMetrics?: boolean;
}

export class ProbeStack extends Stack {
  readonly probe: ProbeFunction;
  readonly network?: PrivateNetwork;
  readonly heartbeat: HeartbeatAlarm;

  constructor(scope: Construct, id: string, props: ProbeStackProps) {
    super(scope, id, props);
    if (props.privateLocation) this.network = new PrivateNetwork(this, 'Network', { location: props.privateLocation });

    this.probe = new ProbeFunction(this, 'Probe', {
      location: props.location,
      checks: props.checks,
      bundledFiles: props.bundledFiles,
      tableName: props.tableName,
      tableArn: props.tableArn,
      homeRegion: props.homeRegion,
      ...(props.secrets && { secrets: props.secrets }),
      ...(props.kmsGrants && { kmsGrants: props.kmsGrants }),
      ...(props.lambda && { lambda: props.lambda }),
      ...(this.network && { network: this.network }),
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
      ...(props.entry !== undefined && { entry: props.entry }),
      ...(props.phaseMetrics !== undefined && { phaseMetrics: props.phaseMetrics }),
    });

    const ops = new OpsTopic(this, 'Ops', { topicName: props.opsTopicName, emails: props.opsEmails ?? [] });
    this.heartbeat = new HeartbeatAlarm(this, 'Heartbeat', { location: props.location, ops });
  }
}

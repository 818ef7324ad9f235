/**
 * A probe stack: one location's probe function and its schedule, or for a private location its network
 * and one probe function per instance, each in its own availability zone with its own schedule.
 * Deployed into the location's region. Silence is not watched here: the sweep in the home region
 * reads every location's heartbeats from the table (LOCATION_SILENT, INSTANCE_SILENT), so no alarm,
 * ops topic or KMS key is needed per location.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PrivateLocationConfig } from '../../shared/config/deployment.ts';
import { PrivateNetwork } from '../constructs/private-network.ts';
import { ProbeFunction, type ProbeFunctionProps } from '../constructs/probe-function.ts';
import { otherInstances, type ProbeInstance } from '../probe-peers.ts';
import type { SecretGrant } from '../secret-refs.ts';
import { VantageError } from '../../shared/errors.ts';

/** What the probe function needs (documented on ProbeFunctionProps), plus the stack's own parts. */
export interface ProbeStackProps extends StackProps, Pick<ProbeFunctionProps, 'location' | 'checks' | 'bundledFiles' | 'tableName' | 'tableArn' | 'homeRegion' | 'kmsGrants' | 'lambda' | 'confirmFunctions' | 'confirmInboxes'> {
  /**
   * This location's functions by name (../probe-peers.ts `probeFunctionsOf`): one for a region, one
   * per instance (with its id) for a private location.
   */
  readonly functions: readonly ProbeInstance[];
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
  /** One per instance, in instance order; a region's location has exactly one. */
  readonly probes: ProbeFunction[] = [];
  readonly network?: PrivateNetwork;

  constructor(scope: Construct, id: string, props: ProbeStackProps) {
    super(scope, id, props);
    if (props.privateLocation) this.network = new PrivateNetwork(this, 'Network', { location: props.privateLocation });
    if (props.functions.length === 0) throw new VantageError('DEPLOYMENT_INVALID', `${id}: location ${props.location} has no probe function`);
    const several = props.functions.length > 1;

    props.functions.forEach((f, i) => {
      // A private location's instances are Probe1, Probe2, …; a region's single function stays Probe.
      this.probes.push(new ProbeFunction(this, f.id === undefined ? 'Probe' : `Probe${f.id}`, {
        location: props.location,
        functionName: f.functionName,
        checks: props.checks,
        bundledFiles: props.bundledFiles,
        tableName: props.tableName,
        tableArn: props.tableArn,
        homeRegion: props.homeRegion,
        ...(props.confirmFunctions && { confirmFunctions: props.confirmFunctions }),
        ...(props.confirmInboxes && { confirmInboxes: props.confirmInboxes }),
        ...(f.id !== undefined && { instance: { id: f.id, others: otherInstances(props.functions, f.id) } }),
        ...(props.secrets && { secrets: props.secrets }),
        ...(props.kmsGrants && { kmsGrants: props.kmsGrants }),
        ...(props.lambda && { lambda: props.lambda }),
        // Several instances: one zone each, so one zone's outage leaves another instance. A single one
        // keeps every subnet, and Lambda picks among them.
        ...(this.network && { network: this.network, ...(several && { zone: i }) }),
        ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
        ...(props.entry !== undefined && { entry: props.entry }),
        ...(props.phaseMetrics !== undefined && { phaseMetrics: props.phaseMetrics }),
      }));
    });
  }

  /** The first (or only) probe function. */
  get probe(): ProbeFunction {
    return this.probes[0]!;
  }
}

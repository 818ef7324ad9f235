/**
 * The network of a private location: the team's existing VPC and subnets, imported from the config
 * (no lookups, so synth needs no credentials), and a security group that lets the probe out to exactly
 * the declared CIDRs and ports, plus HTTPS for writing results.
 *
 * Reaching DynamoDB from a private subnet takes one of:
 * - a NAT gateway (or another route to the internet). Needed whenever the home region differs from
 *   the location's region, and for Secrets Manager/SSM in another region. DynamoDB has no fixed
 *   addresses, so the HTTPS rule is then 0.0.0.0/0:443.
 * - a DynamoDB gateway endpoint, when the location is in the home region. Give its prefix list as
 *   `dynamoDbPrefixListId` and HTTPS is limited to it. Secrets Manager/SSM then need interface
 *   endpoints, whose addresses are in the VPC: declare that CIDR with port 443.
 * https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html
 *
 * DNS needs no rule: security groups do not filter traffic to the Route 53 Resolver at VPC+2.
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html
 */
import { Annotations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { PrivateLocationConfig } from '../../shared/config/deployment.ts';
import { VantageError } from '../../shared/errors.ts';

export interface PrivateNetworkProps {
  readonly location: PrivateLocationConfig;
}

export class PrivateNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    const loc = props.location;
    // The imported subnets carry no route table ids: nothing here adds routes or gateway endpoints,
    // which are the only users of them, so CDK's warning about it does not apply.
    Annotations.of(this).acknowledgeWarning('@aws-cdk/aws-ec2:noSubnetRouteTableId', 'no routes or gateway endpoints are added to the imported subnets');
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: loc.vpcId,
      availabilityZones: loc.availabilityZones,
      privateSubnetIds: loc.privateSubnetIds,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'ProbeSecurityGroup', {
      vpc: this.vpc,
      description: `Vantage probe ${loc.name}: outbound to declared targets only, no inbound`,
      allowAllOutbound: false,
    });
    for (const rule of loc.egress) {
      for (const port of rule.ports) {
        this.securityGroup.addEgressRule(
          ec2.Peer.ipv4(rule.cidr),
          rule.protocol === 'udp' ? ec2.Port.udp(port) : ec2.Port.tcp(port),
          `checks: ${rule.cidr} ${rule.protocol}/${port}`,
        );
      }
    }
    const dynamo = loc.dynamoDbPrefixListId ? ec2.Peer.prefixList(loc.dynamoDbPrefixListId) : ec2.Peer.anyIpv4();
    this.securityGroup.addEgressRule(dynamo, ec2.Port.tcp(443), loc.dynamoDbPrefixListId
      ? 'results: HTTPS to DynamoDB through the gateway endpoint'
      : 'results: HTTPS to DynamoDB (and Secrets Manager/SSM) through NAT');
  }

  /**
   * The placement for a function in this location: in every subnet, or with `zone` only in the
   * subnet of that availability zone (the zone-th one given), so instances never share a zone.
   * Vpc.fromVpcAttributes pairs subnet i with zone i mod zones, so subnet `zone` is in that zone.
   */
  functionPlacement(zone?: number): { vpc: ec2.IVpc; vpcSubnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] } {
    const subnets = this.vpc.privateSubnets;
    if (zone !== undefined && (zone < 0 || zone >= this.vpc.availabilityZones.length)) {
      throw new VantageError('DEPLOYMENT_INVALID', `${this.node.path}: no availability zone ${zone + 1} (${this.vpc.availabilityZones.length} given)`);
    }
    return { vpc: this.vpc, vpcSubnets: { subnets: zone === undefined ? subnets : [subnets[zone]!] }, securityGroups: [this.securityGroup] };
  }
}

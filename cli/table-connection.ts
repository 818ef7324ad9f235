/**
 * How the commands that read or write the results table reach it (`vantage status`, `vantage
 * silence`): `--endpoint` for a local pipeline (`vantage dev` prints it), or `--region`/`--table` for
 * the deployed one. One definition, so the flags, defaults and error hints are the same in every command.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { LOCAL_REGION, LOCAL_TABLE } from '../shared/local/names.ts';
import type { StoreError } from '../shared/store/errors.ts';
import { UsageError } from './args.ts';

/** The flags, for `parse(argv, { ...CONNECTION_OPTIONS, ... })`. */
export const CONNECTION_OPTIONS = {
  endpoint: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
} as const;

/** The flags' lines for a command's help. */
export const CONNECTION_HELP = `  --endpoint URL   a DynamoDB endpoint, e.g. the one \`vantage dev\` prints (http://127.0.0.1:PORT)
  --table NAME     default $VANTAGE_TABLE, else ${LOCAL_TABLE} (what \`cdk deploy\` and \`vantage dev\` create)
  --region REGION  default $AWS_REGION, else $AWS_DEFAULT_REGION (${LOCAL_REGION} with --endpoint)`;

export interface ConnectionFlags {
  endpoint?: string | undefined;
  table?: string | undefined;
  region?: string | undefined;
}

export interface TableConnection {
  client: DynamoDBClient;
  tableName: string;
  region: string;
  endpoint?: string;
  /** For messages: `http://127.0.0.1:8000 (table vantage-results)` or `table vantage-results in eu-west-1`. */
  where: string;
}

const isLoopback = (url: string) => {
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
};

/**
 * A client for the table the flags name; throws UsageError for a bad endpoint or no region. Destroy the
 * client when done. `client` adds SDK options (a long-running agent bounds its requests).
 */
export function connectTable(flags: ConnectionFlags, env: Record<string, string | undefined>, client: Partial<DynamoDBClientConfig> = {}): TableConnection {
  if (flags.endpoint !== undefined && !/^https?:\/\//.test(flags.endpoint)) throw new UsageError('--endpoint must be an http:// or https:// URL', { showHelp: false });
  const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (flags.endpoint ? LOCAL_REGION : undefined);
  if (!region) throw new UsageError('no region: pass --region or set AWS_REGION (or --endpoint for a local pipeline)', { showHelp: false });
  const tableName = flags.table ?? env.VANTAGE_TABLE ?? LOCAL_TABLE;
  const dynamo = new DynamoDBClient({
    region,
    maxAttempts: 2,
    ...client,
    ...(flags.endpoint && { endpoint: flags.endpoint }),
    // DynamoDB Local accepts any credentials; a machine without AWS credentials must still reach it.
    ...(flags.endpoint && isLoopback(flags.endpoint) && { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  });
  const where = flags.endpoint ? `${flags.endpoint} (table ${tableName})` : `table ${tableName} in ${region}`;
  return { client: dynamo, tableName, region, ...(flags.endpoint !== undefined && { endpoint: flags.endpoint }), where };
}

/** `cannot read …: <why> (<code>) <what to try>`, for a store failure against the connection. */
export function describeStoreError(conn: TableConnection, err: StoreError, verb = 'read'): string {
  const hint = err.code === 'STORE_TABLE_NOT_FOUND'
    ? ` (no table named ${conn.tableName}: pass --table or set VANTAGE_TABLE)`
    : conn.endpoint ? ' (is `vantage dev` still running? It prints its endpoint when ready)' : '';
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return `cannot ${verb} ${conn.where}: ${err.message}${typeof code === 'string' ? ` (${code})` : ''}${hint}`;
}

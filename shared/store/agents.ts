/**
 * What `vantage agent` instances keep in their location's partition (`LOCATION#<name>`): their beats
 * (membership), their inbox of requests, retest replies, and the location's checks. Keys, costs and
 * access patterns 16–20: keys.ts.
 *
 * The table is the agents' only channel, so an agent needs outbound HTTPS to DynamoDB and nothing else
 * (no second service, endpoint or credential scope). A request is claimed by deleting it on
 * `attribute_exists(pk)`: DynamoDB applies conditional writes to one item one at a time, so of any
 * number of concurrent claims exactly one deletes it and the rest fail their condition.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 *
 * Not in the stream's way: the evaluator's event source filter admits result inserts only (keys.ts).
 */
import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DefinitionsError, definitionsHash, type DefinitionsDocument } from '../config/definitions-file.ts';
import { isProbeResult } from '../probe/result-shape.ts';
import type { ProbeResult } from '../probe/types.ts';
import { isConfirmRequest, isRetestRequest, type ConfirmRequest, type RetestRequest } from '../requests.ts';
import { StoreError, toStoreError } from './errors.ts';
import { DEFAULT_HEARTBEAT_TTL_DAYS } from './items.ts';
import {
  definitionsKey,
  inboxKey,
  INBOX_PREFIX,
  INSTANCE_HEARTBEAT_PREFIX,
  instanceHeartbeatKey,
  locationPk,
  replyKey,
  SCHEMA_VERSION,
  TTL_ATTRIBUTE,
} from './keys.ts';

/** The `to` of a request any instance may run (confirmations). Instance ids never contain it. */
export const ANY_INSTANCE = '*';
/** A request outlives its deadline by this long, then DynamoDB's TTL removes what nobody claimed. */
export const INBOX_TTL_AFTER_DEADLINE_S = 3_600;
/** A reply nobody took (its asker gave up) goes after this long. */
export const REPLY_TTL_S = 3_600;

const DAY_S = 86_400;

/** One instance's membership record; times ISO 8601. */
export interface AgentBeat {
  instance: string;
  /** The beat's write time. */
  lastSeen: string;
  /** When this instance started: a member only once every reader has seen it join (membership.ts). */
  registeredAt: string;
  /** Set by a leaving instance: it runs its share until then, the others from then on. */
  leavingAt?: string;
  /** The DEFINITIONS version this instance runs. */
  definitions?: string;
  host?: string;
  agentVersion?: string;
}

export type AgentRequest = ConfirmRequest | RetestRequest;

export interface InboxItem {
  id: string;
  /** An instance id, or ANY_INSTANCE. */
  to: string;
  request: AgentRequest;
  /** ISO 8601. */
  sentAt: string;
  /** ISO 8601: past it, the asker no longer waits and the request is dropped, never run. */
  deadlineAt: string;
  /** The item's sort key, which `claim` deletes. */
  sk: string;
}

export interface StoredDefinitions {
  /** The document's sha256. */
  version: string;
  /** The DefinitionsDocument as JSON text, exactly as stored (read it with readDefinitions). */
  document: string;
  /** ISO 8601, when `vantage dev` wrote it. The CDK app writes none: a synth-time stamp would change the template at every synth and re-put an unchanged item at every deploy; the version says what it holds. */
  writtenAt?: string;
}

export interface AgentStore {
  putBeat(location: string, beat: AgentBeat): Promise<void>;
  /** Every well-formed beat of the location (Query, strongly consistent, paginated), by instance id. */
  listBeats(location: string): Promise<AgentBeat[]>;
  sendRequest(location: string, to: string, request: AgentRequest, deadlineAt: Date): Promise<InboxItem>;
  /** Every well-formed request in the location's inbox, oldest first per addressee; malformed items are skipped. */
  readInbox(location: string): Promise<InboxItem[]>;
  /** Deletes the request; true only for the one caller whose delete removed it. */
  claim(location: string, item: InboxItem): Promise<boolean>;
  putReply(location: string, id: string, result: ProbeResult): Promise<void>;
  /** The reply to request `id`, removed as it is taken; undefined while there is none. */
  takeReply(location: string, id: string): Promise<ProbeResult | undefined>;
  getDefinitions(location: string): Promise<StoredDefinitions | undefined>;
  putDefinitions(location: string, document: DefinitionsDocument): Promise<StoredDefinitions>;
}

export interface AgentStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** @default () => new Date() */
  now?: () => Date;
}

const toAttrs = (item: object) => marshall(item, { removeUndefinedValues: true });
const isConditionFailure = (err: unknown) => (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
const isIso = (v: unknown): v is string => typeof v === 'string' && Number.isFinite(Date.parse(v));
const epochS = (d: Date | string) => Math.floor(new Date(d).getTime() / 1000);
/** Readers skip items from a newer layout rather than misread them. */
const readable = (item: Record<string, unknown>, type: string) => item.type === type && typeof item.schemaVersion === 'number' && item.schemaVersion <= SCHEMA_VERSION;

/**
 * The DEFINITIONS item as a plain object: the store marshals it, and the CDK app's custom resource
 * writes the same object marshalled. No `ttl`: a deploy writes it once, and it must outlive any quiet
 * spell of the deployment (an expired one would stop every agent of the location).
 */
export function definitionsItem(location: string, document: DefinitionsDocument, writtenAt?: Date): Record<string, unknown> {
  const version = definitionsHash(document);
  if (document.sha256 !== version) {
    throw new DefinitionsError([{ path: 'sha256', message: 'does not match the content: write the document toDefinitions produced' }], `definitions for ${location}`);
  }
  return {
    ...definitionsKey(location),
    type: 'DEFINITIONS',
    schemaVersion: SCHEMA_VERSION,
    location,
    version,
    document: JSON.stringify(document),
    ...(writtenAt && { writtenAt: writtenAt.toISOString() }),
  };
}

function beatItem(location: string, beat: AgentBeat): Record<string, unknown> {
  const lastSeen = new Date(beat.lastSeen).toISOString();
  return {
    ...instanceHeartbeatKey(location, beat.instance),
    // HEARTBEAT, so the sweep's and `vantage status`'s heartbeat readers (fromHeartbeatItem) read beats too.
    type: 'HEARTBEAT',
    schemaVersion: SCHEMA_VERSION,
    location,
    ...beat,
    lastSeen,
    [TTL_ATTRIBUTE]: epochS(lastSeen) + DEFAULT_HEARTBEAT_TTL_DAYS * DAY_S,
  };
}

function beatOf(item: Record<string, unknown>): AgentBeat | undefined {
  if (!readable(item, 'HEARTBEAT') || typeof item.instance !== 'string' || !isIso(item.lastSeen) || !isIso(item.registeredAt)) return undefined;
  if (item.leavingAt !== undefined && !isIso(item.leavingAt)) return undefined;
  const optional = (name: 'definitions' | 'host' | 'agentVersion') => (typeof item[name] === 'string' ? { [name]: item[name] } : {});
  return {
    instance: item.instance,
    lastSeen: item.lastSeen,
    registeredAt: item.registeredAt,
    ...(item.leavingAt !== undefined && { leavingAt: item.leavingAt }),
    ...optional('definitions'),
    ...optional('host'),
    ...optional('agentVersion'),
  };
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function inboxItemOf(item: Record<string, unknown>): InboxItem | undefined {
  if (!readable(item, 'INBOX') || typeof item.id !== 'string' || typeof item.to !== 'string' || typeof item.sk !== 'string') return undefined;
  if (!isIso(item.sentAt) || !isIso(item.deadlineAt)) return undefined;
  const request = parseJson(item.request);
  if (!isConfirmRequest(request) && !isRetestRequest(request)) return undefined;
  return { id: item.id, to: item.to, request, sentAt: item.sentAt, deadlineAt: item.deadlineAt, sk: item.sk };
}

export function createAgentStore(opts: AgentStoreOptions): AgentStore {
  const { client, tableName } = opts;
  const now = opts.now ?? (() => new Date());

  async function send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw toStoreError(operation, err);
    }
  }

  async function queryPrefix(location: string, prefix: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await send(`Query ${prefix}`, () => client.send(new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: toAttrs({ ':pk': locationPk(location), ':prefix': prefix }),
        ConsistentRead: true,
        ...(start && { ExclusiveStartKey: start }),
      })));
      for (const item of out.Items ?? []) items.push(unmarshall(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  const put = (operation: string, item: Record<string, unknown>) => send(operation, () => client.send(new PutItemCommand({ TableName: tableName, Item: toAttrs(item) })));

  return {
    async putBeat(location, beat) {
      await put('PutItem beat', beatItem(location, beat));
    },

    async listBeats(location) {
      const beats = (await queryPrefix(location, INSTANCE_HEARTBEAT_PREFIX)).map(beatOf).filter((b): b is AgentBeat => b !== undefined);
      return beats.sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
    },

    async sendRequest(location, to, request, deadlineAt) {
      const id = randomUUID();
      const sentAt = now().toISOString();
      const key = inboxKey(location, to, sentAt, id);
      const item: InboxItem = { id, to, request, sentAt, deadlineAt: deadlineAt.toISOString(), sk: key.sk };
      await put('PutItem inbox', {
        ...key,
        type: 'INBOX',
        schemaVersion: SCHEMA_VERSION,
        id, to, sentAt, deadlineAt: item.deadlineAt,
        request: JSON.stringify(request),
        [TTL_ATTRIBUTE]: epochS(deadlineAt) + INBOX_TTL_AFTER_DEADLINE_S,
      });
      return item;
    },

    async readInbox(location) {
      return (await queryPrefix(location, INBOX_PREFIX)).map(inboxItemOf).filter((i): i is InboxItem => i !== undefined);
    },

    async claim(location, item) {
      try {
        await client.send(new DeleteItemCommand({
          TableName: tableName,
          Key: toAttrs({ pk: locationPk(location), sk: item.sk }),
          ConditionExpression: 'attribute_exists(pk)',
        }));
        return true;
      } catch (err) {
        if (isConditionFailure(err)) return false;
        throw toStoreError('DeleteItem inbox', err);
      }
    },

    async putReply(location, id, result) {
      await put('PutItem reply', {
        ...replyKey(location, id),
        type: 'REPLY',
        schemaVersion: SCHEMA_VERSION,
        id,
        result: JSON.stringify(result),
        [TTL_ATTRIBUTE]: epochS(now()) + REPLY_TTL_S,
      });
    },

    async takeReply(location, id) {
      const key = toAttrs(replyKey(location, id));
      const out = await send('GetItem reply', () => client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true })));
      if (!out.Item) return undefined;
      const item = unmarshall(out.Item);
      const result = readable(item, 'REPLY') ? parseJson(item.result) : undefined;
      if (!isProbeResult(result)) throw new StoreError('STORE_ITEM_INVALID', `reply ${id} in ${location} is not a probe result`);
      // Only one asker waits for a reply, so a plain delete; if it fails, the reply's TTL removes it within the hour.
      await client.send(new DeleteItemCommand({ TableName: tableName, Key: key })).catch(() => undefined);
      return result;
    },

    async getDefinitions(location) {
      const out = await send('GetItem definitions', () => client.send(new GetItemCommand({ TableName: tableName, Key: toAttrs(definitionsKey(location)), ConsistentRead: true })));
      if (!out.Item) return undefined;
      const item = unmarshall(out.Item);
      if (!readable(item, 'DEFINITIONS') || typeof item.version !== 'string' || typeof item.document !== 'string' || (item.writtenAt !== undefined && !isIso(item.writtenAt))) {
        throw new StoreError('STORE_ITEM_INVALID', `the DEFINITIONS item of ${location} is not one this build can read`);
      }
      return { version: item.version, document: item.document, ...(isIso(item.writtenAt) && { writtenAt: item.writtenAt }) };
    },

    async putDefinitions(location, document) {
      const item = definitionsItem(location, document, now());
      await put('PutItem definitions', item);
      return { version: item.version as string, document: item.document as string, writtenAt: item.writtenAt as string };
    },
  };
}

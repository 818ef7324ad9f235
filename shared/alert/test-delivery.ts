/**
 * `vantage channels test`: one clearly marked TEST delivery per target of a channel. Each run gets its
 * own dedupe key, so SQS's deduplication window and the notifier's ledger never mistake a second test
 * for a repeat of the first; PagerDuty renders it as a trigger and a resolve of that key, so no
 * incident stays open (./channels/pagerduty.ts). Pure: time and the run id are passed in.
 */
import type { ChannelConfig } from '../config/schema.ts';
import { DELIVERY_VERSION, targetsOf, type DeliveryMessage, type TestPayload } from './delivery.ts';

export interface TestRun {
  /** ms since the epoch. */
  at: number;
  /** Unique per run: a few random characters. */
  runId: string;
  /** Who sent it (`user@host`), said in the message. */
  by: string;
}

/** The dedupe key of one run's test of one channel; the ledger is read back with it. */
export const testDedupeKey = (channel: string, runId: string) => `test:${channel}:${runId}`;

export function testDeliveries(channel: string, config: ChannelConfig, run: TestRun): DeliveryMessage[] {
  const at = new Date(run.at).toISOString();
  const dedupeKey = testDedupeKey(channel, run.runId);
  const subject = `[Vantage] TEST notification for channel ${channel}`;
  const text = `This is a test notification from \`vantage channels test ${channel}\`, sent by ${run.by} at ${at}. Nothing is failing; no action is needed.`;
  return targetsOf(channel, config).map((t): DeliveryMessage => {
    const payload: TestPayload = {
      schemaVersion: DELIVERY_VERSION, event: 'TEST', severity: 'info', channel, target: t.key, at, dedupeKey, incidentId: dedupeKey, message: text,
    };
    return { v: DELIVERY_VERSION, channel, target: t.key, kind: t.kind, event: 'TEST', dedupeKey, incidentId: dedupeKey, subject, text, payload, enqueuedAt: at };
  });
}

/**
 * The SNS emulator for tests: one topic and one subscribed queue per test file, plus a reader that
 * returns what arrived since the last read. fauxqs fans out inside the Publish call, so whatever a
 * completed publish sent is already in the queue: no waiting or polling is needed.
 */
import { drainQueue, startSnsEmulator, type Delivery, type SnsEmulator, type SnsEmulatorOptions } from '../../dev/sns-emulator.ts';

export type { Delivery, SnsEmulator };

export interface TestSnsEmulator extends SnsEmulator {
  /** Deliveries to the default queue since the previous call. */
  received(): Promise<Delivery[]>;
  /** Deliveries to another subscribed queue since the previous call. */
  receivedOn(queueUrl: string): Promise<Delivery[]>;
}

export async function startTestSnsEmulator(opts: SnsEmulatorOptions = {}): Promise<TestSnsEmulator> {
  const emu = await startSnsEmulator(opts);
  return {
    ...emu,
    received: () => drainQueue(emu.sqs, emu.queueUrl),
    receivedOn: (queueUrl) => drainQueue(emu.sqs, queueUrl),
  };
}

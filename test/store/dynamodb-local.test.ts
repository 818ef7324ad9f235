/**
 * The DynamoDB Local launcher: a clear error without Java, a reported death, and no JVM left behind.
 */
import { describe, expect, it } from 'vitest';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { JavaMissingError, startDynamoDbLocal } from '../../shared/emulators/dynamodb-local.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startDynamoDbLocal', () => {
  it('says how to install Java when there is none', async () => {
    const error = await startDynamoDbLocal({ java: '/nonexistent/bin/java' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(JavaMissingError);
    expect(error).toMatchObject({ code: 'JAVA_MISSING', message: expect.stringContaining('default-jre-headless') });
    expect((error as Error).message).toContain('brew install openjdk');
  });

  it('answers on 127.0.0.1, reports an unexpected death, and stop() leaves no process', async () => {
    // Prepare
    const db = await startDynamoDbLocal();
    try {
      expect(db.endpoint).toBe(`http://127.0.0.1:${db.port}`);
      await expect(db.client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });

      // Act: kill the JVM behind the launcher's back.
      process.kill(-db.pid, 'SIGKILL');
      const died = await db.died;

      // Assess
      expect(died).toMatchObject({ code: 'DYNAMODB_LOCAL_DIED', message: expect.stringContaining('SIGKILL') });
    } finally {
      await db.stop();
    }
    expect(alive(db.pid)).toBe(false);
  });

  it('stops with SIGTERM and waits for the exit', async () => {
    const db = await startDynamoDbLocal();

    await db.stop();
    await db.stop(); // idempotent

    expect(alive(db.pid)).toBe(false);
  });
});

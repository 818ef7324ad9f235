/**
 * A process that starts DynamoDB Local and then only waits to be killed, for the test that kills it
 * with SIGKILL (test/dev/dynamodb-local-guard.test.ts). `--watchdog` forgoes setpriv.
 * Prints one JSON line: {pid, guard, port}.
 */
import { startDynamoDbLocal } from '../../shared/emulators/dynamodb-local.ts';

const db = await startDynamoDbLocal(process.argv.includes('--watchdog') ? { setpriv: false } : {});
process.stdout.write(`${JSON.stringify({ pid: db.pid, guard: db.guard, port: db.port })}\n`);
setInterval(() => {}, 60_000);

/**
 * A process that watches its own lifetime (cli/lifetime.ts) for test/cli/lifetime.test.ts.
 *   lifetime-host.ts watch           prints {"ready":PID}, then {"reason":R} when told to stop, and exits
 *   lifetime-host.ts deadline MS     arms exitNoLaterThan(MS) and holds the event loop open
 *   lifetime-host.ts deadline-idle MS  arms it and lets the event loop drain
 */
import { exitNoLaterThan, watchLifetime } from '../../cli/lifetime.ts';

const [mode, ms] = process.argv.slice(2);
if (mode === 'watch') {
  const lifetime = watchLifetime({ parentPollMs: 50 });
  lifetime.signal.addEventListener('abort', () => {
    process.stdout.write(`${JSON.stringify({ reason: lifetime.signal.reason })}\n`);
    lifetime.release();
  });
  process.stdout.write(`${JSON.stringify({ ready: process.pid })}\n`);
  // Keeps the event loop alive until the lifetime ends (the poll itself is unref'd).
  const hold = setInterval(() => {}, 60_000);
  lifetime.signal.addEventListener('abort', () => clearInterval(hold));
} else {
  exitNoLaterThan(Number(ms), () => process.stderr.write('overdue\n'), 3);
  if (mode === 'deadline') setInterval(() => {}, 60_000);
}

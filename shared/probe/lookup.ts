/**
 * Name to address, once per probe, so the prober dials the address it measured the lookup for and
 * can report the `dns` phase (gRPC) or reach a DNS server given by name.
 */
import dns from 'node:dns';
import { isIP } from 'node:net';

/**
 * `dns.lookup` (getaddrinfo, so /etc/hosts counts) for one address of `family`. It cannot be
 * cancelled; the race with `signal` only stops the probe from waiting on it.
 */
export async function lookupAddress(host: string, family: 4 | 6 | undefined, signal: AbortSignal): Promise<string> {
  if (isIP(host)) return host;
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    // The signal's reason is what every prober reports an abort with (a DOMException or the caller's).
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const { address } = await Promise.race([dns.promises.lookup(host, { family: family ?? 0 }), aborted]);
    return address;
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

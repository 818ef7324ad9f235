/**
 * `host`, `host:port`, `[v6]:port` or a bare IPv6 address: the forms a DNS server is written in (and
 * the forms `dns.getServers()` returns). Shared by the schema, which rejects a bad one at load time,
 * and the DNS prober, which applies the default port.
 */
import { isIP } from 'node:net';

export function parseServer(text: string, defaultPort = 53): { host: string; port: number } | undefined {
  const withPort = (host: string, port: string | undefined) => {
    const n = port === undefined ? defaultPort : Number(port);
    return n >= 1 && n <= 65535 ? { host, port: n } : undefined;
  };
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) return withPort(bracketed[1]!, bracketed[2]);
  if (isIP(text) === 6) return { host: text, port: defaultPort };
  const hostPort = /^([^:\s[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (hostPort) return withPort(hostPort[1]!, hostPort[2]);
  return undefined;
}

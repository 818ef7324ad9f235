/**
 * One module and one target as the protocol block of a Vantage check, the way the exporter reads the
 * target for each prober: a URL (http:// added when it has no scheme) for http, host:port for tcp
 * and grpc, the server for dns, a host for icmp.
 */
import { isIP } from 'node:net';
import type { Module } from './modules.ts';
import type { Notes } from './notes.ts';
import type { Obj } from './shape.ts';

export type Block = { key: Module['prober']; spec: Obj } | { error: string };

const HOST_PORT = /^(\[[^\]]+\]|[^:/\s[\]]+):(\d{1,5})$/;

function hostPort(target: string): { host: string; port: number } | undefined {
  const m = HOST_PORT.exec(target);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function httpBlock(m: Extract<Module, { prober: 'http' }>, target: string, notes: Notes): Block {
  const at = `modules.${m.name}.http`;
  const url = /^https?:\/\//i.test(target) ? target : `http://${target}`;
  if (!URL.canParse(url)) return { error: `${target} is not a URL` };
  const https = url.toLowerCase().startsWith('https:');
  const spec: Obj = { url, ...m.http.spec };
  if (m.http.tls && Object.keys(m.http.tls).length > 0) {
    if (https) spec.tls = m.http.tls;
    else notes.add(`${at}.tls_config`, 'approximated', `not used for the http:// target ${target} (Vantage takes TLS options on https:// URLs only, so a redirect to https uses the defaults)`);
  }
  if (spec.http2 === false && !https) delete spec.http2;
  if (m.http.failIfNotSsl) notes.add(`${at}.fail_if_not_ssl`, 'approximated', https ? 'Vantage has no such assertion: an https:// URL is probed over TLS, but a redirect to http:// would pass' : `the exporter fails every probe of the http:// target ${target} that does not redirect to https; Vantage has no such assertion and would pass`);
  if (m.http.failIfSsl) notes.add(`${at}.fail_if_ssl`, 'dropped', https ? `the exporter fails every probe of the https:// target ${target}; Vantage has no such assertion` : 'Vantage has no such assertion: a redirect to https:// would pass');
  return { key: 'http', spec };
}

export function blockFor(m: Module, target: string, notes: Notes): Block {
  if (m.prober === 'http') return httpBlock(m, target, notes);
  const spec = m.spec;
  switch (m.prober) {
    case 'tcp': {
      const hp = hostPort(target);
      return hp ? { key: 'tcp', spec: { ...hp, ...spec } } : { error: `${target} is not host:port` };
    }
    case 'grpc': {
      const bare = target.replace(/^(grpcs?|https?):\/\//i, '');
      return hostPort(bare) ? { key: 'grpc', spec: { target: bare, ...spec } } : { error: `${target} is not host:port` };
    }
    case 'dns': return { key: 'dns', spec: { ...spec, server: target } };
    case 'icmp': {
      const literal = isIP(target);
      if (literal === 0 || spec.ipFamily === undefined || spec.ipFamily === literal) return { key: 'icmp', spec: { host: target, ...spec } };
      const { ipFamily: _unused, ...rest } = spec;
      notes.add(`modules.${m.name}.icmp.ip_protocol_fallback`, 'approximated', `the exporter fails every probe of ${target}, an IPv${literal} address, with IPv${String(spec.ipFamily)} only; Vantage probes it over IPv${literal}`);
      return { key: 'icmp', spec: { host: target, ...rest } };
    }
  }
}

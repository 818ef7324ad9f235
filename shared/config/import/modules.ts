/**
 * A blackbox.yml's `modules` as prober-specific Vantage specs, each waiting for a target
 * (./targets.ts). Every option that cannot be carried over is reported in `notes`.
 */
import { convertHttpModule, type HttpModule } from './http-module.ts';
import { parseGoDuration } from './go-duration.ts';
import { convertDnsModule, convertGrpcModule, convertIcmpModule, convertTcpModule } from './other-modules.ts';
import { isObj, obj, type Obj, str } from './shape.ts';
import type { TlsContext } from './tls.ts';

export const PROBERS = ['http', 'tcp', 'dns', 'grpc', 'icmp'] as const;
export type Prober = (typeof PROBERS)[number];

export type Module =
  | { name: string; prober: 'http'; timeoutMs?: number; http: HttpModule }
  | { name: string; prober: Exclude<Prober, 'http'>; timeoutMs?: number; spec: Obj };

const isProber = (p: string | undefined): p is Prober => (PROBERS as readonly string[]).includes(p ?? '');

function convertModule(name: string, raw: unknown, ctx: TlsContext): Module | undefined {
  const at = `modules.${name}`;
  const m = obj(raw);
  const prober = str(m.prober);
  if (!isProber(prober)) {
    ctx.notes.add(`${at}.prober`, 'dropped', `${prober ?? '(missing)'}: Vantage imports ${PROBERS.join(', ')}; no check is made from this module`);
    return undefined;
  }
  let timeoutMs: number | undefined;
  if (m.timeout !== undefined) {
    timeoutMs = parseGoDuration(m.timeout);
    if (timeoutMs === undefined) ctx.notes.add(`${at}.timeout`, 'dropped', `cannot read the duration ${JSON.stringify(m.timeout)}`);
  }
  for (const key of Object.keys(m)) {
    if (key === 'prober' || key === 'timeout' || key === prober) continue;
    ctx.notes.add(`${at}.${key}`, 'dropped', isProber(key) ? `the module's prober is ${prober}, so the exporter does not read it either` : 'no Vantage equivalent');
  }
  const options = m[prober];
  const base = { name, ...(timeoutMs !== undefined && timeoutMs > 0 && { timeoutMs }) };
  const sub = `${at}.${prober}`;
  switch (prober) {
    case 'http': return { ...base, prober, http: convertHttpModule(options, sub, ctx) };
    case 'tcp': return { ...base, prober, spec: convertTcpModule(options, sub, ctx) };
    case 'dns': return { ...base, prober, spec: convertDnsModule(options, sub, ctx) };
    case 'grpc': return { ...base, prober, spec: convertGrpcModule(options, sub, ctx) };
    case 'icmp': return { ...base, prober, spec: convertIcmpModule(options, sub, ctx) };
  }
}

/** Every module of the file, by name, in file order; modules that cannot become checks are reported and left out. */
export function convertModules(doc: unknown, ctx: TlsContext): Map<string, Module> {
  const out = new Map<string, Module>();
  const modules = isObj(doc) ? doc.modules : undefined;
  if (!isObj(modules)) {
    ctx.notes.add('modules', 'dropped', 'the file has no modules map');
    return out;
  }
  for (const key of Object.keys(obj(doc))) if (key !== 'modules') ctx.notes.add(key, 'dropped', 'not part of a module');
  for (const [name, raw] of Object.entries(modules)) {
    const m = convertModule(name, raw, ctx);
    if (m) out.set(name, m);
  }
  return out;
}

/**
 * DNS records rendered as one line of zone-file text, exactly as miekg/dns's `RR.String()` does, which
 * is what Blackbox Exporter's `fail_if_matches_regexp` and friends are matched against: the owner name,
 * TTL, class and type each followed by a tab, then the record data with its fields separated by single
 * spaces (`api.example.com.\t300\tIN\tA\t10.0.0.1`, `example.com.\t300\tIN\tMX\t10 mx.example.com.`).
 * A regex copied from a blackbox.yml module (`"www.example.org.\t300\tIN\tA\t..."`) therefore matches
 * here the same way; one written with `\s+` between the fields matches both renderings.
 */
import type { Answer } from 'dns-packet';

/** Names end with the root dot in zone files; dns-packet decodes them without it. */
export function fqdn(name: string): string {
  if (name === '' || name === '.') return '.';
  return name.endsWith('.') ? name : `${name}.`;
}

/**
 * A character-string as in RFC 1035 §5.1: quoted, with `"` and `\` escaped and bytes outside
 * printable ASCII written as `\DDD`, so a TXT value can never break the line it is on.
 */
function characterString(bytes: Buffer): string {
  let out = '"';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\${b.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

function txtData(data: unknown): string {
  const parts = Array.isArray(data) ? data : [data];
  return parts.map((p) => characterString(Buffer.isBuffer(p) ? p : Buffer.from(String(p)))).join(' ');
}

/** Record data in presentation format; types outside the ones Vantage queries use RFC 3597 `\# len hex`. */
function rdata(answer: Answer): string {
  switch (answer.type) {
    case 'A':
    case 'AAAA':
      return answer.data;
    case 'CNAME':
    case 'DNAME':
    case 'NS':
    case 'PTR':
      return fqdn(answer.data);
    case 'MX':
      return `${answer.data.preference ?? 0} ${fqdn(answer.data.exchange)}`;
    case 'TXT':
      return txtData(answer.data);
    case 'SOA': {
      const d = answer.data;
      return `${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial ?? 0} ${d.refresh ?? 0} ${d.retry ?? 0} ${d.expire ?? 0} ${d.minimum ?? 0}`;
    }
    case 'SRV': {
      const d = answer.data;
      return `${d.priority ?? 0} ${d.weight ?? 0} ${d.port} ${fqdn(d.target)}`;
    }
    case 'OPT':
      return '';
    default: {
      const data = (answer as { data?: unknown }).data;
      if (Buffer.isBuffer(data)) return `\\# ${data.length}${data.length ? ` ${data.toString('hex')}` : ''}`;
      return JSON.stringify(data);
    }
  }
}

/** `name.<TAB>ttl<TAB>class<TAB>type<TAB>rdata`, as miekg/dns's `RR_Header.String()` + the rdata. */
export function renderRecord(answer: Answer): string {
  const ttl = 'ttl' in answer ? answer.ttl ?? 0 : 0;
  const cls = 'class' in answer ? answer.class ?? 'IN' : 'IN';
  return `${fqdn(answer.name)}\t${ttl}\t${cls}\t${answer.type}\t${rdata(answer)}`;
}

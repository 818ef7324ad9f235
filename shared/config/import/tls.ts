/**
 * The exporter's `tls_config` (prometheus/common's TLSConfig) as Vantage's `tls` options.
 *
 * File paths: Prometheus resolves relative paths against its config file (SetDirectory), but the
 * exporter does not: 0.23 opens `ca_file: certs/ca.pem` from its working directory, whatever the
 * module file's directory (test/import/blackbox-tls-roundtrip.test.ts shows it). The import cannot
 * know that directory, so `resolveFile` (given by the command) takes a base (the module file's
 * directory unless told) and rewrites each relative path relative to the output file, which is where
 * Vantage reads it from; the note says which base was taken.
 */
import type { Notes } from './notes.ts';
import { bool, obj, str } from './shape.ts';

const VERSIONS: Record<string, string> = { TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

export interface TlsContext {
  notes: Notes;
  resolveFile: (path: string) => string;
  /** The directory relative paths were taken from, for the notes; `guessed` when nobody said where the exporter runs. */
  fileBase?: { description: string; guessed: boolean };
}

export function convertTls(raw: unknown, at: string, ctx: TlsContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj(raw))) {
    const path = `${at}.${key}`;
    const file = (name: string) => {
      const given = str(value);
      if (given === undefined) return;
      const resolved = ctx.resolveFile(given);
      out[name] = resolved;
      if (resolved === given) return;
      const base = ctx.fileBase ?? { description: 'the module file\'s directory', guessed: true };
      ctx.notes.add(path, base.guessed ? 'approximated' : 'mapped', `the exporter opens ${given} from its working directory; taking that to be ${base.description}, it is written as ${resolved}, relative to the output${base.guessed ? ' (say where the exporter runs with --exporter-cwd)' : ''}`);
    };
    switch (key) {
      case 'ca_file': file('ca'); break;
      case 'cert_file': file('cert'); break;
      case 'key_file': file('key'); break;
      case 'server_name': if (str(value)) out.serverName = str(value); break;
      case 'insecure_skip_verify': if (bool(value) !== undefined) out.insecureSkipVerify = bool(value); break;
      case 'min_version':
      case 'max_version': {
        const v = VERSIONS[str(value) ?? ''];
        const field = key === 'min_version' ? 'minVersion' : 'maxVersion';
        if (v) out[field] = v;
        else ctx.notes.add(path, key === 'min_version' ? 'approximated' : 'dropped', `${str(value)}: Vantage offers TLS 1.2 and 1.3 only${key === 'min_version' ? ', so the minimum is TLS 1.2' : ''}`);
        break;
      }
      case 'ca':
      case 'cert':
      case 'key':
        ctx.notes.add(path, 'dropped', `an inline PEM; Vantage reads ${key} from a file: write it to one and set tls.${key} to its path`);
        break;
      default:
        ctx.notes.add(path, 'dropped', 'no Vantage equivalent');
    }
  }
  return out;
}

/**
 * tls_config through the import, end to end. The exporter opens a relative `ca_file` from its working
 * directory (not the module file's: 0.23 fails `certs/ca.pem` when started elsewhere), Vantage from
 * its config's directory, and the three directories differ here: the exporter runs in exporter/, its
 * module file is in exporter/conf/, the output in vantage/. The imported checks must trust, refuse and
 * pick HTTP versions as the exporter does for the same modules (the real exporter, when
 * prometheus-blackbox-exporter is installed).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { spawnOwned, stopOwned } from '../../bench/proc.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import type { Check } from '../../shared/config/schema.ts';
import { runProbe } from '../../shared/probe/index.ts';
import { makeTestPki } from '../../testkit/certs.ts';
import { runCli } from '../support/cli.ts';
import { startHttps, tlsOptions, type Running } from '../support/http-servers.ts';

const MODULES = `
modules:
  https_ca:
    prober: http
    timeout: 3s
    http: { tls_config: { ca_file: certs/ca.pem } }
  https_system_roots:
    prober: http
    timeout: 3s
  https_wrong_name:
    prober: http
    timeout: 3s
    http: { tls_config: { ca_file: certs/ca.pem, server_name: wrong.example } }
  https_h1:
    prober: http
    timeout: 3s
    http: { valid_http_versions: [HTTP/1.1], fail_if_not_ssl: true, tls_config: { ca_file: ./certs/ca.pem } }
  https_h2_only:
    prober: http
    timeout: 3s
    http: { valid_http_versions: [HTTP/2.0], tls_config: { ca_file: certs/ca.pem } }
`;
/** Each module's verdict against a TLS server whose certificate the test CA signed, serving HTTP/1.1 only. */
const EXPECTED: Record<string, boolean> = { https_ca: true, https_system_roots: false, https_wrong_name: false, https_h1: true, https_h2_only: false };

const EXPORTER = ['prometheus-blackbox-exporter', 'blackbox_exporter'].find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** bench/peers.ts's startExporter, but in a working directory of the test's choosing. */
async function startExporterIn(bin: string, configFile: string, cwd: string): Promise<{ origin: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawnOwned(bin, [`--config.file=${configFile}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=error'], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150 && child.exitCode === null; i++) {
    const up = await fetch(`${origin}/-/healthy`).then((r) => r.ok, () => false);
    if (up) return { origin, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stopOwned(child);
  throw new Error('blackbox exporter did not start');
}

describe('tls_config paths and TLS verdicts through the import', () => {
  let root: string;
  let server: Running;
  let exporter: { origin: string; child: ChildProcess } | undefined;
  let checks: Check[];
  let target: string;

  beforeAll(async () => {
    const pki = await makeTestPki();
    server = await startHttps(tlsOptions(pki.server), (_req, res) => res.writeHead(200).end('ok'));
    target = `https://127.0.0.1:${server.port}/`;
    root = mkdtempSync(join(tmpdir(), 'vantage-import-tls-'));
    const modules = join(root, 'exporter', 'conf', 'blackbox.yml');
    mkdirSync(join(root, 'exporter', 'certs'), { recursive: true });
    mkdirSync(join(root, 'exporter', 'conf'));
    mkdirSync(join(root, 'vantage'));
    writeFileSync(modules, MODULES);
    writeFileSync(join(root, 'exporter', 'certs', 'ca.pem'), pki.ca.cert);
    const out = join(root, 'vantage', 'checks.yaml');
    const run = await runCli(['import', 'blackbox', '--modules', modules, '--exporter-cwd', join(root, 'exporter'), '--out', out, ...Object.keys(EXPECTED).flatMap((m) => ['--target', `${m}=${target}`])]);
    if (run.code !== 0) throw new Error(`import failed: ${run.stderr}`);
    checks = loadConfigText(readFileSync(out, 'utf8'), { baseDir: dirname(out) }).checks;
    if (EXPORTER) exporter = await startExporterIn(EXPORTER, modules, join(root, 'exporter'));
  }, 30_000);

  afterAll(async () => {
    if (exporter) await stopOwned(exporter.child);
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const checkFor = (module: string) => {
    const c = checks.find((x) => x.tags?.module === module);
    if (!c) throw new Error(`no check for ${module}`);
    return c;
  };

  it('writes the CA path from the exporter\'s working directory, relative to the output file', () => {
    const raw = readFileSync(join(root, 'vantage', 'checks.yaml'), 'utf8');
    expect(raw).toContain('ca: ../exporter/certs/ca.pem');
    expect(raw).not.toContain('ca: certs/ca.pem');
  });

  it('gives the documented verdict for each module', async () => {
    const verdicts = Object.fromEntries(await Promise.all(Object.keys(EXPECTED).map(async (m) => [m, (await runProbe(checkFor(m))).ok] as const)));
    expect(verdicts).toEqual(EXPECTED);
  });

  it.skipIf(!EXPORTER)('gives the real exporter\'s verdict for each module', async () => {
    const theirs = Object.fromEntries(await Promise.all(Object.keys(EXPECTED).map(async (m) => {
      const res = await fetch(`${exporter!.origin}/probe?module=${m}&target=${encodeURIComponent(target)}`);
      return [m, /^probe_success (\S+)$/m.exec(await res.text())?.[1] === '1'] as const;
    })));
    expect(theirs).toEqual(EXPECTED);
  }, 30_000);
});

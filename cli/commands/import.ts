/**
 * `vantage import blackbox`: reads a Blackbox Exporter setup and writes a Vantage config. The
 * converter (shared/config/import/) is pure; this command reads the files, decides where tls_config
 * paths point (relative to the exporter's working directory there, to the output file in Vantage),
 * prints every note to stderr and validates what it wrote, as `vantage validate` would.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { importBlackbox, formatNote } from '../../shared/config/import/blackbox.ts';
import { loadConfigText } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';
import { defineCommand, parse, required, UsageError } from '../args.ts';
import { EXIT } from '../io.ts';

const HELP = `usage: vantage import blackbox --modules blackbox.yml [--prometheus prometheus.yml] [--rules rules.yml]
                               [--target MODULE=TARGET]... [--exporter-cwd DIR] [--out checks.yaml]

Converts Blackbox Exporter modules (http, tcp, dns, grpc, icmp) into Vantage checks: one per target
and module. Targets come from the Prometheus scrape jobs that call the exporter (params.module, static
targets, the __param_target relabelling), and from --target; a module with neither is written with a
placeholder target and enabled: false. With --rules, an alert on probe_success with for: becomes the
check's alerting.for.

Every option without an exact Vantage equivalent is printed here (on stderr) with its path and what
was done (dropped, approximated, mapped), and listed again in a comment block at the top of the output.
The output is validated as \`vantage validate\` would; exit 2 if it does not validate.

  --modules FILE     the exporter's blackbox.yml (required)
  --prometheus FILE  prometheus.yml with the scrape jobs that go through the exporter
  --rules FILE       a Prometheus rules file with alerts on probe_success
  --target M=T       a target for module M (repeatable), for use without --prometheus
  --exporter-cwd DIR the exporter's working directory, which it opens relative tls_config paths
                     from (default: the directory of --modules)
  --out FILE         where to write the config (default: stdout)
`;

function readInput(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }], path);
  }
}

function targetPairs(values: readonly string[]): Array<{ module: string; target: string }> {
  return values.map((v) => {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw new UsageError(`--target ${v}: expected MODULE=TARGET`);
    return { module: v.slice(0, eq), target: v.slice(eq + 1) };
  });
}

export const importCommand = defineCommand('import', HELP, async (argv, io) => {
  const [what, ...rest] = argv;
  if (what !== 'blackbox') throw new UsageError(what === undefined ? 'say what to import: vantage import blackbox …' : `cannot import "${what}"; only blackbox`);
  const { values } = parse(rest, {
    modules: { type: 'string' }, prometheus: { type: 'string' }, rules: { type: 'string' }, out: { type: 'string', short: 'o' }, target: { type: 'string', multiple: true }, 'exporter-cwd': { type: 'string' },
  });
  const modulesPath = required(values.modules, '--modules');
  const cwd = io.cwd ?? process.cwd();
  const outDir = values.out === undefined ? cwd : dirname(resolve(cwd, values.out));
  const exporterCwd = values['exporter-cwd'];
  const fileBaseDir = exporterCwd === undefined ? dirname(resolve(cwd, modulesPath)) : resolve(cwd, exporterCwd);
  const result = importBlackbox({
    modules: readInput(resolve(cwd, modulesPath)),
    ...(values.prometheus !== undefined && { prometheus: readInput(resolve(cwd, values.prometheus)) }),
    ...(values.rules !== undefined && { rules: readInput(resolve(cwd, values.rules)) }),
    targets: targetPairs(values.target ?? []),
    sources: { modules: modulesPath, ...(values.prometheus !== undefined && { prometheus: values.prometheus }), ...(values.rules !== undefined && { rules: values.rules }) },
    resolveFile: (p) => (isAbsolute(p) ? p : relative(outDir, resolve(fileBaseDir, p)) || '.'),
    fileBase: exporterCwd === undefined ? { description: `${fileBaseDir}, the directory of --modules`, guessed: true } : { description: fileBaseDir, guessed: false },
  });
  for (const note of result.notes) io.stderr(`vantage import: ${formatNote(note)}\n`);
  if (values.out === undefined) io.stdout(result.yaml);
  else writeFileSync(resolve(cwd, values.out), result.yaml);
  const where = values.out ?? '(stdout)';
  try {
    loadConfigText(result.yaml, { baseDir: outDir, source: where });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`vantage import: the imported config does not validate:\n${err.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`);
    return EXIT.USAGE;
  }
  io.stderr(`vantage import: ${result.config.checks.length} check(s) written to ${where}; ${result.notes.length} option(s) reported above\n`);
  return EXIT.OK;
});

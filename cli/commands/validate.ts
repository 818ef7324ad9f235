import { deployWarnings } from '../../shared/config/deploy-only.ts';
import { loadConfigFileInput, readConfig } from '../../shared/config/load.ts';
import { ConfigError, type ConfigIssue } from '../../shared/errors.ts';
import { defineCommand, parse } from '../args.ts';
import { configPathFromArgs } from '../config-arg.ts';
import { EXIT } from '../io.ts';

const HELP = `usage: vantage validate [--config FILE] [--json]

Validates a checks config and reports every problem with its path. Exits 0 when valid, 2 otherwise.
Without --config, the first of vantage.config.ts, .mts, .js, .mjs, checks.yaml, checks.yml here.
For a config with a deployment block it also warns (on stderr, or as "warnings" with --json) about
each channel secret written in plain, which would ship in the notifier's asset; warnings do not
change the exit code.
`;

const lines = (issues: readonly ConfigIssue[]) => issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');

export const validate = defineCommand('validate', HELP, async (argv, io) => {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } });
  const config = configPathFromArgs(values.config, io);
  let warnings: ConfigIssue[] = [];
  const warn = () => {
    if (warnings.length > 0 && !values.json) io.stderr(`${config}: warning: ${warnings.length} plain secret(s) in a deployed config\n${lines(warnings)}\n`);
  };
  try {
    const input = await readConfig(config);
    warnings = deployWarnings(input);
    const cfg = loadConfigFileInput(input, config);
    warn();
    io.stdout(values.json ? JSON.stringify({ valid: true, checks: cfg.checks.length, ...(warnings.length > 0 && { warnings }) }) + '\n' : `${config}: valid, ${cfg.checks.length} check(s)\n`);
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (values.json) io.stdout(JSON.stringify({ valid: false, issues: err.issues, ...(warnings.length > 0 && { warnings }) }) + '\n');
    else io.stderr(`${config}: ${err.issues.length} problem(s)\n${lines(err.issues)}\n`);
    warn();
    return EXIT.USAGE;
  }
});

import { loadConfigFile } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';
import { defineCommand, parse, required } from '../args.ts';
import { EXIT } from '../io.ts';

const HELP = `usage: vantage validate --config FILE [--json]

Validates a checks config and reports every problem with its path. Exits 0 when valid, 2 otherwise.
`;

export const validate = defineCommand('validate', HELP, async (argv, io) => {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } });
  const config = required(values.config, '--config');
  try {
    const cfg = loadConfigFile(config);
    io.stdout(values.json ? JSON.stringify({ valid: true, checks: cfg.checks.length }) + '\n' : `${config}: valid, ${cfg.checks.length} check(s)\n`);
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (values.json) io.stdout(JSON.stringify({ valid: false, issues: err.issues }) + '\n');
    else io.stderr(`${config}: ${err.issues.length} problem(s)\n${err.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`);
    return EXIT.USAGE;
  }
});

import { loadConfigFile } from '../../shared/config/load.ts';
import { ConfigError } from '../../shared/errors.ts';
import { parse, UsageError } from '../args.ts';
import { EXIT, type Command } from '../io.ts';

const HELP = `usage: vantage validate --config FILE [--json]

Validates a checks config and reports every problem with its path. Exits 0 when valid, 2 otherwise.
`;

export const validate: Command = async (argv, io) => {
  let values;
  try {
    ({ values } = parse(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }));
  } catch (err) {
    if (err instanceof UsageError) { io.stderr(`vantage validate: ${err.message}\n\n${HELP}`); return EXIT.USAGE; }
    throw err;
  }
  if (values.help) { io.stdout(HELP); return EXIT.OK; }
  if (!values.config) { io.stderr(`vantage validate: --config is required\n\n${HELP}`); return EXIT.USAGE; }
  try {
    const cfg = loadConfigFile(values.config);
    if (values.json) io.stdout(JSON.stringify({ valid: true, checks: cfg.checks.length }) + '\n');
    else io.stdout(`${values.config}: valid, ${cfg.checks.length} check(s)\n`);
    return EXIT.OK;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (values.json) io.stdout(JSON.stringify({ valid: false, issues: err.issues }) + '\n');
    else io.stderr(`${values.config}: ${err.issues.length} problem(s)\n${err.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}\n`);
    return EXIT.USAGE;
  }
};

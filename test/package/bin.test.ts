/** The `vantage` bin in the checkout (no build: it runs the TypeScript sources) and the top-level flags of cli/main.ts. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(`${repo}package.json`, 'utf8')) as { version: string };

describe('vantage --version and help', () => {
  it('prints the package version, from the sources in the checkout', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [`${repo}cli/vantage.mjs`, '--version'], { cwd: '/' });
    expect(stdout).toBe(`${version}\n`);
    expect(await runCli(['-v'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('`help` is `--help`, and `help <command>` is `<command> --help`', async () => {
    const help = await runCli(['help']);
    expect(help).toEqual(await runCli(['--help']));
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('vantage --version');
    const runHelp = await runCli(['help', 'run']);
    expect(runHelp).toEqual(await runCli(['run', '--help']));
    expect(runHelp.stdout).toContain('usage: vantage run');
    expect((await runCli(['help', 'nosuch'])).code).toBe(2);
  });
});

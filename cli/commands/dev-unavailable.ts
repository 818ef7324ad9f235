/**
 * What the published bundle runs for `vantage dev` (scripts/build-dist.ts puts it in place of
 * ./dev.ts). The local pipeline runs DynamoDB Local, a Java jar inside the amplify-dynamodb-simulator
 * package, and the SNS emulator; the package ships neither, so that `npm install` stays small.
 */
import { EXIT, type Command } from '../io.ts';

export const dev: Command = async (_argv, io) => {
  io.stderr(
    'vantage: `vantage dev` runs the whole pipeline on DynamoDB Local (Java), which this package does not ship.\n' +
      'Run it from a checkout of the repository: npm ci && npx vantage dev --demo\n',
  );
  return EXIT.USAGE;
};

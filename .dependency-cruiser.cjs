/**
 * The house plan, enforced (README "Code map"). Layers, innermost first; an import may only point
 * inward (to its own layer or one below it):
 *   core      shared/{config,probe,evaluate,cost,deploy}, shared/*.ts  pure: no AWS, no I/O but the network a probe measures
 *   adapters  shared/{store,alert,aws,metrics,logging}                  DynamoDB, SNS, Secrets Manager/SSM, EMF, logs
 *   usecases  shared/usecases                                           one location's probe cycle; one batch's evaluation and outbox
 *   roots     functions, cli, dev, cdk, bench                           composition roots: each wires the layers for one way of running
 * Roots never import each other, except that the CLI starts the local pipeline (`vantage dev`).
 * testkit/ (certificates for real local peers) serves test/ and bench/ only; nothing imports test/.
 * `npm run layers` prints the folder graph; `npm run lint` fails on any rule below.
 */
const CORE = '^shared/(config|probe|evaluate|deploy)/|^shared/[^/]+\\.ts$';
const ADAPTERS = '^shared/(store|alert|aws|metrics|logging|emulators)/';
const USECASES = '^shared/usecases/';
const ROOTS = '^(functions|cli|dev|cdk|bench)/';
const OUTSIDE_SHARED = `${ROOTS}|^testkit/|^test/`;

module.exports = {
  forbidden: [
    {
      name: 'core-imports-only-core',
      comment: 'The pure core (config, probe, evaluate, cost, deploy facts) knows nothing of adapters, use cases or roots.',
      severity: 'error',
      from: { path: CORE },
      to: { path: `${ADAPTERS}|${USECASES}|${OUTSIDE_SHARED}` },
    },
    {
      name: 'core-has-no-aws',
      comment: 'No AWS SDK, CDK, Lambda middleware or emulator in the pure core: it runs the same in Lambda, the CLI and tests.',
      severity: 'error',
      from: { path: CORE },
      to: { path: 'node_modules/(@aws-sdk|aws-cdk-lib|@middy|constructs|cdk-nag|fauxqs|amplify-dynamodb-simulator)/' },
    },
    {
      name: 'adapters-import-core-only',
      comment: 'Adapters turn outside systems into domain values; they never reach up into use cases or roots.',
      severity: 'error',
      from: { path: ADAPTERS },
      to: { path: `${USECASES}|${OUTSIDE_SHARED}` },
    },
    {
      name: 'usecases-import-no-roots',
      comment: 'A use case is wired by a root, never the other way round.',
      severity: 'error',
      from: { path: USECASES },
      to: { path: OUTSIDE_SHARED },
    },
    {
      name: 'roots-are-separate',
      comment: 'Each composition root imports the layers below it, nothing beside it (what two roots share belongs below both).',
      severity: 'error',
      from: { path: '^(functions|dev|cdk|bench)/' },
      to: { path: ROOTS, pathNot: '^$1/' },
    },
    {
      name: 'cli-starts-dev-only',
      comment: '`vantage dev` is the one root the CLI may start; it reaches nothing else beside it.',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: '^(functions|cdk|bench)/' },
    },
    {
      name: 'testkit-for-tests-and-bench',
      comment: 'Test certificates and peers never ship: only test/ and bench/ use them.',
      severity: 'error',
      from: { pathNot: '^(test|bench|testkit)/' },
      to: { path: '^testkit/' },
    },
    {
      name: 'nothing-imports-tests',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^cdk\\.out/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

/**
 * The agent's container files (deploy/agent/: Dockerfile, compose.yaml, kubernetes.yaml, and the root
 * .dockerignore) hold the properties the README promises: non-root, a read-only root filesystem,
 * nothing listening, two instances, a health check that runs `vantage agent health`, no capability
 * beyond NET_RAW (and ICMP that works without it), a stop grace period longer than the graceful leave;
 * the image holds exactly the source and the runtime dependencies `vantage agent` loads; and the
 * commands and flags the README's Agents section shows are the CLI's own.
 *
 * No Docker engine or cluster runs here, so these read the files (the YAML with the `yaml` package,
 * the Dockerfile line by line) rather than build or apply them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DURATION_MAX_MS, parseDuration } from '../../shared/config/duration.ts';
import { runCli } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The membership's default beat; the contract's value until shared/usecases/agent/membership.ts lands. */
const membership = await import('../../shared/usecases/agent/membership.ts').catch(() => undefined) as { DEFAULT_BEAT_MS?: number } | undefined;
const BEAT_MS = membership?.DEFAULT_BEAT_MS ?? 10_000;
/** What the graceful leave may take: 2 beats of probing, then the probes in flight (a probe's timeout is at most DURATION_MAX_MS.probe). */
const LEAVE_MS = 2 * BEAT_MS + DURATION_MAX_MS.probe;
/** The official node image's `node` user. */
const NODE_UID = 1000;
const NODE_GID = 1000;

// ---- the Dockerfile, line by line ----------------------------------------------------------------

interface Instruction { op: string; args: string }

/** Instructions with their continuation lines joined; comments and blank lines dropped. */
function dockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    pending += `${line.replace(/\\$/, '').trim()} `;
    if (!line.endsWith('\\')) {
      logical.push(pending.trim());
      pending = '';
    }
  }
  return logical.map((l) => {
    const [op = '', ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(' ') };
  });
}

const DOCKERFILE = dockerfile(read('deploy/agent/Dockerfile'));
/** The stages, split at each FROM: the build stage packs the CLI, the last one is the image. */
const STAGES = DOCKERFILE.reduce<Instruction[][]>((stages, i) => (i.op === 'FROM' ? [...stages, [i]] : (stages.at(-1)!.push(i), stages)), []);
const BUILD = STAGES[0]!;
const RUNTIME = STAGES.at(-1)!;
const all = (op: string, stage: Instruction[] = DOCKERFILE) => stage.filter((i) => i.op === op);
const one = (op: string, stage: Instruction[] = RUNTIME) => {
  const found = all(op, stage);
  expect(found, `exactly one ${op}`).toHaveLength(1);
  return found[0]!.args;
};
/** The JSON (exec) form of ENTRYPOINT/CMD: a shell form would put /bin/sh between Docker and node, and signals would stop at the shell. */
const execForm = (args: string): string[] => JSON.parse(args) as string[];
const ENTRYPOINT = execForm(one('ENTRYPOINT'));
/** What the context must hold: the sources of every COPY that does not copy from another stage. */
const COPY_SOURCES = all('COPY').filter((c) => !c.args.includes('--from=')).flatMap((c) => c.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1)).map((s) => s.replace(/\/$/, ''));

describe('deploy/agent/Dockerfile', () => {
  it('has a build stage and the image, both from a Debian slim Node 24 image pinned by tag', () => {
    expect(STAGES).toHaveLength(2);
    expect(BUILD[0]!.args).toMatch(/^node:24(\.\d+)*-bookworm-slim(@sha256:[0-9a-f]{64})? AS build$/);
    expect(RUNTIME[0]!.args).toMatch(/^node:24(\.\d+)*-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
  });

  it('installs iputils-ping alone, without recommends, cleans the lists, and strips ping\'s file capability', () => {
    const apt = all('RUN', RUNTIME).filter((r) => r.args.includes('apt-get'));
    expect(apt).toHaveLength(1);
    const run = apt[0]!.args;
    expect(/apt-get install (-y )?--no-install-recommends (-y )?(?<pkgs>[a-z0-9.+\- ]+?)(\s*&&|$)/.exec(run)?.groups?.pkgs?.trim()).toBe('iputils-ping');
    expect(run).toContain('rm -rf /var/lib/apt/lists/*');
    // capabilities(7): with the file capability and no NET_RAW in the bounding set, ping cannot even start.
    expect(run).toMatch(/setcap -r \/bin\/ping/);
  });

  it('packs the CLI in the build stage (lockfile first) and installs only that tarball, offline, in the image', () => {
    const buildRuns = all('RUN', BUILD).map((r) => r.args).join(' ');
    expect(buildRuns).toMatch(/npm ci\b/);
    expect(buildRuns).toMatch(/npm pack --pack-destination \/out/);
    const copies = all('COPY', BUILD);
    const lockCopy = copies.findIndex((c) => c.args.includes('package-lock.json'));
    const sourceCopy = copies.findIndex((c) => c.args.startsWith('cli'));
    // Dependencies before the source, so a source change reuses the dependency layer.
    expect(lockCopy).toBeGreaterThanOrEqual(0);
    expect(lockCopy).toBeLessThan(sourceCopy);
    // The image gets the tarball and nothing else from the build: no node_modules, no sources.
    expect(all('COPY', RUNTIME).map((c) => c.args)).toEqual(['--from=build /out/ /tmp/pack/']);
    const runtimeRuns = all('RUN', RUNTIME).map((r) => r.args).join(' ');
    expect(runtimeRuns).toMatch(/npm install -g --offline [^&]*\/tmp\/pack\/\*\.tgz/);
    expect(runtimeRuns).not.toMatch(/npm ci\b/);
  });

  it('runs as the non-root node user, listens on nothing, and enters `vantage agent`', () => {
    const user = one('USER');
    expect(user.split(':')[0]).toMatch(/^(node|1000)$/);
    expect(all('EXPOSE')).toEqual([]);
    expect(ENTRYPOINT).toEqual(['vantage', 'agent']);
    // USER comes after everything that writes to the image: the node user owns none of its files.
    const userAt = RUNTIME.findIndex((i) => i.op === 'USER');
    expect(RUNTIME.slice(userAt).filter((i) => i.op === 'RUN' || i.op === 'COPY')).toEqual([]);
  });

  it('checks health with `vantage agent health`, and keeps the health file under /tmp', () => {
    const hc = /^(?<opts>(--[a-z-]+=\S+\s+)*)CMD\s+(?<cmd>\[.*\])$/.exec(one('HEALTHCHECK'));
    expect(hc).not.toBeNull();
    expect(execForm(hc!.groups!.cmd!)).toEqual([...ENTRYPOINT, 'health']);
    const opts = Object.fromEntries([...hc!.groups!.opts!.matchAll(/--([a-z-]+)=(\S+)/g)].map((m) => [m[1], parseDuration(m[2]!) ?? Number(m[2])]));
    // Sooner than 3 beats it would call a healthy agent unhealthy between two beats.
    expect(opts.interval).toBeGreaterThanOrEqual(BEAT_MS);
    expect(opts.timeout).toBeLessThan(opts.interval!);
    expect(all('ENV', RUNTIME).map((e) => e.args).join(' ')).toMatch(/VANTAGE_HEALTH_FILE=\/tmp\/\S+/);
  });

  it('copies exactly what the .dockerignore allow-list lets into the context, and all of it exists', () => {
    const lines = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('*');
    const allowed = lines.slice(1).map((l) => {
      expect(l.startsWith('!'), `${l}: after "*" every line re-includes`).toBe(true);
      return l.slice(1).replace(/\/$/, '');
    });
    expect([...allowed].sort()).toEqual([...COPY_SOURCES].sort());
    for (const source of COPY_SOURCES) expect(existsSync(join(ROOT, source)), source).toBe(true);
  });
});

// ---- what the build stage packs ------------------------------------------------------------------

/**
 * The module graph of what `npm pack` bundles (scripts/build-dist.ts): the CLI (cli/entry.ts, every
 * command) and the library (lib/index.ts). esbuild follows static and literal dynamic imports alike.
 */
async function bundleGraph(): Promise<Metafile> {
  const result = await build({
    entryPoints: ['cli/entry.ts', 'lib/index.ts'].map((e) => join(ROOT, e)),
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    outdir: 'out',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  return result.metafile;
}

describe('the build stage holds what the package bundles', () => {
  it('copies every folder the bundle reads from, and only those and the build scripts', async () => {
    const meta = await bundleGraph();
    const topFolders = new Set(Object.keys(meta.inputs).filter((f) => !f.includes('node_modules')).map((f) => f.split('/')[0]!));
    const copiedFolders = COPY_SOURCES.filter((s) => !/\.json$/.test(s));
    expect([...topFolders, 'scripts'].sort()).toEqual([...copiedFolders].sort());
  });
});

// ---- compose.yaml ----------------------------------------------------------------------------------

interface ComposeService {
  image?: string; build?: unknown; read_only?: boolean; tmpfs?: string[]; cap_drop?: string[]; cap_add?: string[];
  ports?: unknown; expose?: unknown; network_mode?: string; privileged?: boolean; user?: string; restart?: string;
  healthcheck?: { disable?: boolean; test?: unknown }; environment?: Record<string, string>; volumes?: string[];
  stop_grace_period?: string; security_opt?: string[]; sysctls?: Record<string, string>; deploy?: { replicas?: number };
}

const COMPOSE = parse(read('deploy/agent/compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
const SERVICES = Object.entries(COMPOSE.services);

/** Whether `ping_group_range` (as "low high") admits the node user's group. */
const admitsNodeGroup = (range: string | undefined) => {
  const [low, high] = (range ?? '').trim().split(/\s+/).map(Number);
  return low !== undefined && high !== undefined && low <= NODE_GID && NODE_GID <= high;
};

describe('deploy/agent/compose.yaml', () => {
  it('runs two instances of the location, each with its own instance id', () => {
    const instances = SERVICES.reduce((n, [, s]) => n + (s.deploy?.replicas ?? 1), 0);
    expect(instances).toBe(2);
    const ids = SERVICES.map(([, s]) => s.environment?.VANTAGE_INSTANCE);
    if (SERVICES.length > 1) expect(new Set(ids).size).toBe(SERVICES.length);
  });

  it.each(SERVICES)('%s: read-only root, /tmp a tmpfs, no ports, no privileges, no capability but NET_RAW', (_name, s) => {
    expect(s.read_only).toBe(true);
    expect(s.tmpfs?.some((t) => t.split(':')[0] === '/tmp')).toBe(true);
    expect(s.ports).toBeUndefined();
    expect(s.expose).toBeUndefined();
    expect(s.network_mode).toBeUndefined();
    expect(s.privileged ?? false).toBe(false);
    if (s.user !== undefined) expect(s.user.split(':')[0]).not.toMatch(/^(0|root)$/);
    expect(s.cap_drop).toContain('ALL');
    expect((s.cap_add ?? []).filter((c) => c !== 'NET_RAW')).toEqual([]);
    expect(s.security_opt).toContain('no-new-privileges:true');
    // ICMP works either way: the capability, or a datagram socket for the node user's group.
    expect((s.cap_add ?? []).includes('NET_RAW') || admitsNodeGroup(s.sysctls?.['net.ipv4.ping_group_range'])).toBe(true);
  });

  it.each(SERVICES)('%s: the image\'s health check, restarts, a grace period past the leave, config from the environment', (_name, s) => {
    expect(s.healthcheck).toBeUndefined();
    expect(s.restart).toBe('unless-stopped');
    expect(parseDuration(s.stop_grace_period ?? '10s')).toBeGreaterThan(LEAVE_MS);
    for (const name of ['VANTAGE_LOCATION', 'VANTAGE_TABLE', 'AWS_REGION', 'VANTAGE_INSTANCE']) expect(s.environment, name).toHaveProperty(name);
    expect(s.volumes?.some((v) => /:\/home\/node\/\.aws:ro$/.test(v))).toBe(true);
  });
});

// ---- kubernetes.yaml -------------------------------------------------------------------------------

const K8S = parseAllDocuments(read('deploy/agent/kubernetes.yaml')).map((d) => d.toJS() as any);
const DEPLOYMENT = K8S.find((d) => d.kind === 'Deployment');
const POD = DEPLOYMENT?.spec?.template?.spec;
const CONTAINERS: any[] = POD?.containers ?? [];

describe('deploy/agent/kubernetes.yaml', () => {
  it('is a Deployment of 2 spread over nodes, a PodDisruptionBudget of minAvailable 1, and no Service', () => {
    expect(K8S.map((d) => d.kind).sort()).toEqual(['Deployment', 'PodDisruptionBudget']);
    expect(DEPLOYMENT.spec.replicas).toBe(2);
    const spread = (POD.topologySpreadConstraints ?? []).some((c: any) => c.topologyKey === 'kubernetes.io/hostname' && c.whenUnsatisfiable === 'DoNotSchedule');
    const anti = (POD.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some((t: any) => t.topologyKey === 'kubernetes.io/hostname');
    expect(spread || anti).toBe(true);
    const pdb = K8S.find((d) => d.kind === 'PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(DEPLOYMENT.spec.selector.matchLabels);
    expect(DEPLOYMENT.spec.template.metadata.labels).toMatchObject(DEPLOYMENT.spec.selector.matchLabels);
  });

  it('runs as uid 1000, non-root, read-only, without privilege escalation, with RuntimeDefault seccomp and no capability but NET_RAW', () => {
    expect(POD.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: NODE_UID, seccompProfile: { type: 'RuntimeDefault' } });
    expect(POD.hostNetwork ?? false).toBe(false);
    expect(CONTAINERS).toHaveLength(1);
    for (const c of CONTAINERS) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      expect(c.securityContext.privileged ?? false).toBe(false);
      expect(c.securityContext.capabilities.drop).toContain('ALL');
      const added: string[] = c.securityContext.capabilities.add ?? [];
      expect(added.filter((cap) => cap !== 'NET_RAW')).toEqual([]);
      const range = (POD.securityContext.sysctls ?? []).find((s: any) => s.name === 'net.ipv4.ping_group_range')?.value;
      expect(added.includes('NET_RAW') || admitsNodeGroup(range)).toBe(true);
      expect(c.ports).toBeUndefined();
    }
  });

  it('mounts /tmp from an emptyDir and the AWS config from a Secret, read-only', () => {
    const c = CONTAINERS[0];
    const volume = (name: string) => POD.volumes.find((v: any) => v.name === name);
    const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
    expect(volume(tmp.name).emptyDir).toBeDefined();
    const aws = c.volumeMounts.find((m: any) => m.mountPath === '/home/node/.aws');
    expect(aws.readOnly).toBe(true);
    expect(volume(aws.name).secret.secretName).toEqual(expect.any(String));
  });

  it('probes liveness with `vantage agent health`, names each instance after its pod, and outlasts the graceful leave', () => {
    const c = CONTAINERS[0];
    expect(c.livenessProbe.exec.command).toEqual([...ENTRYPOINT, 'health']);
    // A probe more often than a beat would see a healthy agent between two beats.
    expect(c.livenessProbe.periodSeconds * 1000).toBeGreaterThanOrEqual(BEAT_MS);
    const instance = c.env.find((e: any) => e.name === 'VANTAGE_INSTANCE');
    expect(instance.valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    for (const name of ['VANTAGE_LOCATION', 'VANTAGE_TABLE', 'AWS_REGION']) expect(c.env.map((e: any) => e.name)).toContain(name);
    expect(POD.terminationGracePeriodSeconds * 1000).toBeGreaterThan(LEAVE_MS);
    expect(POD.terminationGracePeriodSeconds * 1000).toBeGreaterThan(2 * BEAT_MS);
  });
});

// ---- the README's Agents section against the CLI ----------------------------------------------------

const README = read('README.md');
const AGENTS = /\n## Agents\n([\s\S]*?)(?=\n## )/.exec(README)?.[1] ?? '';
/** Every `vantage agent …` command line in the section's code blocks, with its flags. */
const agentLines = [...AGENTS.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n')).filter((l) => /\bvantage(\.mjs)? agent\b/.test(l));
const agentModule = await import('../../cli/commands/agent.ts').catch((err: unknown) => String(err));

describe("README's Agents section", () => {
  it('exists and shows how to run an agent', () => {
    expect(AGENTS).not.toBe('');
    expect(agentLines.length).toBeGreaterThan(0);
  });

  it.skipIf(typeof agentModule === 'string')(`shows only flags and variables that \`vantage agent --help\` lists${typeof agentModule === 'string' ? ` (skipped: cli/commands/agent.ts does not load yet: ${agentModule})` : ''}`, async () => {
    const help = await runCli(['agent', '--help']);
    expect(help.code).toBe(0);
    const flags = new Set(agentLines.flatMap((l) => [...l.replace(/#.*$/, '').matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0])));
    expect(flags.size).toBeGreaterThan(0);
    expect([...flags].filter((f) => !help.stdout.includes(f))).toEqual([]);
    // What the container files pass in is what the CLI reads.
    const containerEnv = new Set([
      ...SERVICES.flatMap(([, s]) => Object.keys(s.environment ?? {})),
      ...CONTAINERS.flatMap((c) => (c.env as { name: string }[]).map((e) => e.name)),
      ...all('ENV').map((e) => e.args.split('=')[0]!),
    ].filter((n) => n.startsWith('VANTAGE_')));
    expect([...containerEnv].filter((n) => !help.stdout.includes(n))).toEqual([]);
    const health = await runCli(['agent', 'health', '--health-file', join(ROOT, 'no-such-health-file.json')]);
    expect(health.code).toBe(1);
  });
});

/**
 * Runs the whole mesh on this machine with one command (`npm run mesh`, which bundles this file to
 * dist/tools/mesh-local.js and runs that): builds the apps, finds or starts a Redis, starts the
 * supervisor, two env runners in two domains (tenant "acme" is pinned to the "gpu" one) and the
 * orchestrator with readable logs, submits a demo workflow and prints where to look. Ctrl-C stops
 * everything, the private Redis too.
 *
 * Redis: REDIS_URL if set; else 127.0.0.1:6379 if it answers; else a private redis-server on a free
 * port when one is on the PATH; else it stops and says how to get one.
 * For tests: MESH_LOCAL_SKIP_BUILD=1, MESH_LOCAL_PORT_OFFSET (added to every port),
 * MESH_LOCAL_REDIS_CANDIDATE (instead of redis://127.0.0.1:6379), MESH_LOCAL_REDIS_SERVER (the command).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  DEFAULT_DOMAIN,
  DEFAULT_REDIS_URL,
  parseListenAddress,
  SERVICE_SETTINGS,
  SHARED_SETTINGS,
  TENANT_DOMAIN_MAP_SETTING,
  type ServiceName,
} from '@mesh/config';
import { DEFAULT_STREAM_PREFIX, probeRedis, type WorkflowRequest } from '@mesh/mesh-protocol';
import { spawnService, stopProcess, type ProcessExit } from '@mesh/process-kit';

// Bundled to dist/tools/mesh-local.js: the workspace root is two folders up.
const ROOT = join(__dirname, '..', '..');
const OFFSET = Number(process.env['MESH_LOCAL_PORT_OFFSET'] ?? 0);
const defaultPort = (app: ServiceName): number => parseListenAddress(SERVICE_SETTINGS[app].listen.default).port;
const PORTS = {
  orchestrator: defaultPort('orchestrator') + OFFSET,
  supervisor: defaultPort('supervisor') + OFFSET,
  runner: defaultPort('env-runner') + OFFSET,
  // The second runner takes the port after the first one's.
  gpuRunner: defaultPort('env-runner') + 1 + OFFSET,
};
const SUPERVISOR = SERVICE_SETTINGS.supervisor;
const RUNNER = SERVICE_SETTINGS['env-runner'];
const ORCHESTRATOR = SERVICE_SETTINGS.orchestrator;

/** What the launcher started, in start order; stopped in reverse. */
const started: Array<{ name: string; stop: () => Promise<ProcessExit> }> = [];
let stopping = false;

function say(line: string): void {
  process.stdout.write(`[mesh] ${line}\n`);
}

/** Whether a Redis answers PING at `url` within 2 s (a Redis that accepts connections but never answers does not). */
function redisAnswers(url: string): Promise<boolean> {
  return probeRedis(url, 2000);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function findRedis(): Promise<{ url: string; how: string }> {
  const given = process.env[SHARED_SETTINGS.redis.env];
  if (given) {
    if (await redisAnswers(given)) return { url: given, how: SHARED_SETTINGS.redis.env };
    throw new Error(`${SHARED_SETTINGS.redis.env} is set but no Redis answers there`);
  }
  const candidate = process.env['MESH_LOCAL_REDIS_CANDIDATE'] ?? DEFAULT_REDIS_URL;
  if (await redisAnswers(candidate)) return { url: candidate, how: `the Redis at ${candidate}` };
  const server = process.env['MESH_LOCAL_REDIS_SERVER'] ?? 'redis-server';
  if (spawnSync('sh', ['-c', `command -v "${server}"`], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      `no Redis found: set ${SHARED_SETTINGS.redis.env}, start one on ${new URL(DEFAULT_REDIS_URL).host}, or install redis-server (Debian: apt-get install redis-server; macOS: brew install redis)`,
    );
  }
  const port = await freePort();
  const child = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
    detached: true,
  });
  started.push({ name: 'redis', stop: () => stopProcess(child) });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 50));
  return { url, how: `a private redis-server on port ${port} (stopped with the mesh)` };
}

function start(name: string, app: ServiceName, env: Record<string, string>): void {
  const service = spawnService({
    root: ROOT,
    app,
    env: { ...process.env, ...env },
    nodeArgs: ['--enable-source-maps'],
    // Own process group: a terminal's Ctrl-C reaches only this launcher, which stops each service once.
    detached: true,
  });
  const pretty = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'pino-pretty', 'bin.js'),
      '--colorize',
      '--ignore',
      'pid,hostname',
      '--translateTime',
      'SYS:HH:MM:ss.l',
    ],
    { stdio: ['pipe', 'inherit', 'inherit'], detached: true },
  );
  // When the terminal's pipe is gone (e.g. `| tee` got the Ctrl-C too), pino-pretty dies; the service must not.
  pretty.stdin.on('error', () => undefined);
  service.child.stdout?.pipe(pretty.stdin);
  service.child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${String(chunk)}`));
  void service.exited.then(({ code, signal }) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping the mesh`);
      void stop(1);
    }
  });
  started.push({ name, stop: () => service.stop() });
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  for (const { stop: stopOne } of [...started].reverse()) await stopOne();
  say('stopped');
  process.exit(code);
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not become ready`);
}

/** The parts of the orchestrator's run record the demo reads. */
interface DemoRun {
  status: string;
  domain?: string;
  tasks: Array<{ runnerId?: string }>;
}

async function demo(): Promise<string> {
  const api = `http://127.0.0.1:${PORTS.orchestrator}`;
  const request: WorkflowRequest = {
    workflow: 'demo',
    tenant: 'acme',
    tasks: [
      { id: 'extract', kind: 'echo', payload: { table: 'orders' } },
      { id: 'transform', kind: 'sleep', payload: { ms: 200 }, dependsOn: ['extract'] },
      { id: 'load', kind: 'echo', payload: { rows: 42 }, dependsOn: ['transform'] },
    ],
  };
  // The services inherit this shell's settings: with an admin token set, the demo uses it too.
  const token = process.env['MESH_API_TOKEN'];
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await fetch(`${api}/workflow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify(request),
  });
  if (res.status !== 202) throw new Error(`demo submission answered ${res.status}: ${await res.text()}`);
  const { links } = (await res.json()) as { links: { run: string } };
  for (let i = 0; i < 100; i++) {
    const run = (await (await fetch(`${api}${links.run}`, { headers: auth })).json()) as DemoRun;
    if (run.status === 'succeeded' || run.status === 'failed') {
      const runners = [...new Set(run.tasks.map((t) => t.runnerId))].join(', ');
      say(`demo run ${run.status} (tenant acme → domain ${run.domain}, tasks on ${runners})`);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return `${api}${links.run}`;
}

async function main(): Promise<void> {
  // Ctrl-C may also end whatever reads our output (`npm run mesh | tee`): a write to it then fails
  // with EPIPE, which must not cut the stopping short and leave services running.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  // SIGHUP: the terminal went away.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));

  if (process.env['MESH_LOCAL_SKIP_BUILD'] !== '1') {
    say('building the apps (npm run build)…');
    const build = spawnSync('npm', ['run', '-s', 'build'], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false' },
    });
    if (build.status !== 0) throw new Error('the build failed');
  }

  const redis = await findRedis();
  say(`using ${redis.how}`);
  const common = {
    [SHARED_SETTINGS.redis.env]: redis.url,
    [SHARED_SETTINGS.streamPrefix.env]: DEFAULT_STREAM_PREFIX,
    [SHARED_SETTINGS.logLevel.env]: process.env[SHARED_SETTINGS.logLevel.env] ?? SHARED_SETTINGS.logLevel.default,
  };
  start('supervisor', 'supervisor', {
    ...common,
    [SUPERVISOR.supervisorId.env]: 'local-supervisor',
    [SUPERVISOR.listen.env]: `127.0.0.1:${PORTS.supervisor}`,
    [TENANT_DOMAIN_MAP_SETTING.env]: 'acme=gpu',
  });
  start('env-runner', 'env-runner', {
    ...common,
    [RUNNER.runnerId.env]: 'local-runner',
    [RUNNER.domain.env]: DEFAULT_DOMAIN,
    [RUNNER.listen.env]: `127.0.0.1:${PORTS.runner}`,
  });
  start('env-runner-gpu', 'env-runner', {
    ...common,
    [RUNNER.runnerId.env]: 'local-gpu-runner',
    [RUNNER.domain.env]: 'gpu',
    [RUNNER.listen.env]: `127.0.0.1:${PORTS.gpuRunner}`,
  });
  start('orchestrator', 'orchestrator', {
    ...common,
    [ORCHESTRATOR.orchestratorId.env]: 'local-orchestrator',
    [ORCHESTRATOR.listen.env]: `127.0.0.1:${PORTS.orchestrator}`,
  });
  await Promise.all(
    [PORTS.supervisor, PORTS.runner, PORTS.gpuRunner, PORTS.orchestrator].map((p) =>
      waitHealthy(`http://127.0.0.1:${p}/readyz`),
    ),
  );

  const run = await demo();
  say('the mesh is up. Look at:');
  say(`  demo run record   ${run}`);
  say(`  all demo runs     http://127.0.0.1:${PORTS.orchestrator}/workflows/demo/runs`);
  say(`  supervisor        http://127.0.0.1:${PORTS.supervisor}/metrics`);
  say(
    `  env runners       http://127.0.0.1:${PORTS.runner}/prometheus   http://127.0.0.1:${PORTS.gpuRunner}/prometheus   (…/metrics and …/hardware too)`,
  );
  say(`  orchestrator      http://127.0.0.1:${PORTS.orchestrator}/metrics`);
  say('Ctrl-C stops everything.');
}

main().catch((err: unknown) => {
  say(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
});

/**
 * Runs the whole mesh on this machine with one command (`npm run mesh`, which bundles this file to
 * dist/tools/mesh-local.js and runs that): builds the apps, finds or starts a Redis, starts the
 * supervisor, two env runners (domains `default` and `gpu`) and the orchestrator, prints the console's
 * URL first and then the others, submits the demo workflow (tools/demo/workflow.json), and keeps one
 * summary line of runs and tasks per second up to date. Ctrl-C stops everything, the private Redis too.
 * docs/local-mesh.md is the user's guide.
 *
 * Settings are the services' own, read by @mesh/config exactly as the services read them: a bad value
 * stops the launcher with the line a service would print, before anything starts. Services log at warn
 * unless LOG_LEVEL says otherwise.
 *
 * Redis: REDIS_URL if set; else 127.0.0.1:6379 if it answers; else a private redis-server on a free
 * port when one is on the PATH; else it stops and says how to get one.
 * For tests: MESH_LOCAL_SKIP_BUILD=1, MESH_LOCAL_PORT_OFFSET (added to every port),
 * MESH_LOCAL_REDIS_CANDIDATE (instead of redis://127.0.0.1:6379), MESH_LOCAL_REDIS_SERVER (the command).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  API_TOKEN_ENVS,
  DEFAULT_DOMAIN,
  DEFAULT_REDIS_URL,
  loadConfig,
  SERVICE_SETTINGS,
  SHARED_SETTINGS,
  partitionsOf,
  TENANT_DOMAIN_MAP_SETTING,
  type ConfigOf,
  type ListenAddress,
  type ServiceName,
} from '@mesh/config';
import { ConfigError } from '@mesh/errors';
import { ENV_RUNNER_METRICS, ORCHESTRATOR_METRICS, SUPERVISOR_METRICS } from '@mesh/metrics-schema';
import {
  createKeys,
  createRedisClient,
  GROUPS,
  probeRedis,
  type Redis,
  type WorkflowRequest,
} from '@mesh/mesh-protocol';
import { spawnService, stopProcess, type ProcessExit } from '@mesh/process-kit';

// Bundled to dist/tools/mesh-local.js: the workspace root is two folders up.
const ROOT = join(__dirname, '..', '..');
const DEMO_FILE = join(ROOT, 'tools', 'demo', 'workflow.json');
const OFFSET = Number(process.env['MESH_LOCAL_PORT_OFFSET'] ?? 0);
const SUPERVISOR = SERVICE_SETTINGS.supervisor;
const RUNNER = SERVICE_SETTINGS['env-runner'];
const ORCHESTRATOR = SERVICE_SETTINGS.orchestrator;
/** The domain of the second runner, which the demo's `train` task names. */
const GPU_DOMAIN = 'gpu';
/** Services log at this level unless LOG_LEVEL is set: warnings and errors only, no line per task. */
const QUIET_LOG_LEVEL = 'warn';
/** Exit status of a bad setting, as the services use it (EXIT_CONFIG of @mesh/service-kit). */
const EXIT_CONFIG = 2;
/** The orchestrator's token settings, named once in @mesh/config. */
const API_TOKEN_ENV = API_TOKEN_ENVS.admin;
const API_TOKENS_ENV = API_TOKEN_ENVS.tenants;

/** Every setting the launcher reads itself, declared by @mesh/config as the services declare them. */
const LAUNCHER_SETTINGS = {
  ...SHARED_SETTINGS,
  tenantDomainMap: TENANT_DOMAIN_MAP_SETTING,
  supervisorListen: SUPERVISOR.listen,
  runnerListen: RUNNER.listen,
  orchestratorListen: ORCHESTRATOR.listen,
};
type LauncherConfig = ConfigOf<typeof LAUNCHER_SETTINGS>;

/** Whether the user set this variable (an empty one counts as unset, as for the services). */
const isSet = (env: string): boolean => (process.env[env] ?? '') !== '';

/** What the launcher started, in start order; stopped in reverse. */
const started: Array<{ name: string; stop: () => Promise<ProcessExit> }> = [];
let stopping = false;

/**
 * The terminal: log lines scroll, and on a TTY the summary line stays at the bottom, redrawn in place.
 * Elsewhere (a pipe, a file) the summary is printed as a line of its own when it changes.
 */
class Terminal {
  private status = '';
  private readonly tty = process.stdout.isTTY === true;

  write(text: string): void {
    if (this.tty && this.status)
      process.stdout.write(`\r\x1b[2K${text}${text.endsWith('\n') ? '' : '\n'}${this.status}`);
    else process.stdout.write(text);
  }

  say(line: string): void {
    this.write(`[mesh] ${line}\n`);
  }

  /** Shows `line` as the summary: redrawn in place on a TTY, printed once per change elsewhere. */
  summary(line: string): void {
    if (this.tty) {
      // Never wider than the terminal: a wrapped line could not be redrawn in place.
      const columns = process.stdout.columns || 80;
      const status = `[mesh] ${line}`.slice(0, columns - 1);
      if (this.status === status) return;
      this.status = status;
      process.stdout.write(`\r\x1b[2K${this.status}`);
    } else if (line !== this.status) {
      this.status = line;
      process.stdout.write(`[mesh] ${line}\n`);
    }
  }

  /** Leaves the summary line where it is and moves on to a new line. */
  release(): void {
    if (this.tty && this.status) process.stdout.write('\n');
    this.status = '';
  }

  get isTTY(): boolean {
    return this.tty;
  }
}

const terminal = new Terminal();
const say = (line: string): void => terminal.say(line);

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

/** Whether something already listens on `host:port` (a service started there would stop at once). */
function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    srv.listen(port, host, () => srv.close(() => resolve(false)));
  });
}

/** Stops, naming the setting to change, when a port the mesh needs is taken (e.g. by another mesh). */
async function checkPorts(listens: Array<{ env: string; listen: string; host: string; port: number }>): Promise<void> {
  for (const { env, host, port } of listens)
    if (await portInUse(host, port))
      throw new Error(
        `port ${port} is in use (${env}): stop what listens there, or set ${env}=127.0.0.1:<another port>`,
      );
}

interface FoundRedis {
  /** The URL the launcher itself connects with (REDIS_PASSWORD applied). */
  url: string;
  /** A Redis Cluster's seed nodes (REDIS_CLUSTER_NODES, which the services inherit). */
  clusterNodes?: readonly string[];
  /** What the services get as REDIS_URL; undefined: the user's REDIS_URL, which they inherit. */
  servicesUrl?: string;
  /** A private Redis has no password: the services must not send REDIS_PASSWORD to it. */
  dropPassword: boolean;
  how: string;
}

/** Host and port of a Redis URL, never its password. */
const redisHost = (url: string): string => new URL(url).host;

async function findRedis(config: LauncherConfig): Promise<FoundRedis> {
  const env = SHARED_SETTINGS.redis.env;
  const nodes = config.redis.clusterNodes;
  if (nodes) {
    const nodesEnv = SHARED_SETTINGS.redisClusterNodes.env;
    if (await probeRedis(config.redis, 2000))
      return {
        url: config.redis.url,
        clusterNodes: nodes,
        dropPassword: false,
        how: `the Redis Cluster at ${nodes.join(',')} (${nodesEnv})`,
      };
    throw new Error(`${nodesEnv} is set but no Redis Cluster with every slot served answers at ${nodes.join(',')}`);
  }
  if (isSet(env)) {
    if (await probeRedis(config.redis.url, 2000))
      return {
        url: config.redis.url,
        dropPassword: false,
        how: `the Redis at ${redisHost(config.redis.url)} (${env})`,
      };
    throw new Error(`${env} is set but no Redis answers at ${config.redis.display}`);
  }
  const candidate = process.env['MESH_LOCAL_REDIS_CANDIDATE'] ?? DEFAULT_REDIS_URL;
  const candidateUrl = SHARED_SETTINGS.redis.resolve(SHARED_SETTINGS.redis.parse(candidate), (name) =>
    name === SHARED_SETTINGS.redisPassword.env ? config.redisPassword : undefined,
  ).url;
  if (await probeRedis(candidateUrl, 2000))
    return {
      url: candidateUrl,
      servicesUrl: candidate,
      dropPassword: false,
      how: `the Redis at ${redisHost(candidate)}`,
    };
  const server = process.env['MESH_LOCAL_REDIS_SERVER'] ?? 'redis-server';
  if (spawnSync('sh', ['-c', `command -v "${server}"`], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      `no Redis found: set ${env}, start one on ${redisHost(DEFAULT_REDIS_URL)}, or install redis-server (Debian: apt-get install redis-server; macOS: brew install redis)`,
    );
  }
  const port = await freePort();
  const child = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
    detached: true,
  });
  started.push({ name: 'redis', stop: () => stopProcess(child) });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await probeRedis(url, 2000)); i++) await new Promise((r) => setTimeout(r, 50));
  return {
    url,
    servicesUrl: url,
    dropPassword: true,
    how: `a private redis-server on port ${port} (stopped with the mesh)`,
  };
}

/** Warnings and errors already shown (level and message) and when: the same one from every service shows once. */
const shown = new Map<string, number>();
/** How long a warning or error hides the same level and message from any service. */
const REPEAT_HIDDEN_MS = 30_000;
/** Levels whose repeats are hidden (the services log level labels): whoever asked for info or debug asked for each line. */
const REPEATS_HIDDEN = new Set(['warn', 'error', 'fatal']);

function isRepeat(record: Record<string, unknown>): boolean {
  if (!REPEATS_HIDDEN.has(String(record['level']))) return false;
  const key = `${String(record['level'])}|${String(record['msg'])}`;
  const now = Date.now();
  const seen = shown.get(key);
  if (seen !== undefined && now - seen < REPEAT_HIDDEN_MS) return true;
  shown.set(key, now);
  return false;
}

function start(name: string, app: ServiceName, env: Record<string, string | undefined>): void {
  const pretty = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'pino-pretty', 'bin.js'),
      ...(terminal.isTTY ? ['--colorize'] : []),
      '--singleLine',
      '--translateTime',
      'SYS:HH:MM:ss.l',
      '--messageFormat',
      `[${name}] {msg}`,
      // The process's name is in the message; the rest is the same on every line of it.
      '--ignore',
      'pid,hostname,service,supervisorId,runnerId,orchestratorId,domain,connection',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], detached: true },
  );
  // When the launcher is gone (e.g. killed), pino-pretty's pipe breaks; the service must not die of it.
  pretty.stdin.on('error', () => undefined);
  // Whole lines only, so that the summary line is never drawn in the middle of one.
  let partial = '';
  pretty.stdout.on('data', (chunk: Buffer) => {
    const text = partial + String(chunk);
    const end = text.lastIndexOf('\n') + 1;
    partial = text.slice(end);
    if (end > 0) terminal.write(text.slice(0, end));
  });
  const service = spawnService({
    root: ROOT,
    app,
    env,
    nodeArgs: ['--enable-source-maps'],
    // Own process group: a terminal's Ctrl-C reaches only this launcher, which stops each service once.
    detached: true,
    onRecord: (record) => {
      if (!isRepeat(record)) pretty.stdin.write(`${JSON.stringify(record)}\n`);
    },
  });
  service.child.stderr?.on('data', (chunk: Buffer) => {
    const text = String(chunk).replace(/\n$/, '');
    terminal.write(`${text.replace(/^/gm, `[${name}] `)}\n`);
  });
  // pino-pretty ends after the service's last line (its output may still be read after it exited).
  service.child.stdout?.once('end', () => pretty.stdin.end());
  void service.exited.then(({ code, signal }) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping the mesh`);
      // A service refusing a setting exits EXIT_CONFIG: so does the launcher, as it would for its own.
      void stop(code === EXIT_CONFIG ? EXIT_CONFIG : 1);
    }
  });
  started.push({ name, stop: () => service.stop() });
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  terminal.release();
  if (started.length > 0) {
    say('stopping…');
    for (const { stop: stopOne } of [...started].reverse()) await stopOne();
    say('stopped');
  }
  process.exit(code);
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not become ready within 30 s`);
}

/** Where a service listens: the user's setting (plus the test offset), on loopback unless it names a host. */
function listenOn(
  env: string,
  address: ListenAddress,
  extra = 0,
): { env: string; listen: string; host: string; port: number; url: string } {
  const host = address.host ?? '127.0.0.1';
  const port = address.port + extra + OFFSET;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const hostPart = (h: string): string => (h.includes(':') ? `[${h}]` : h);
  return { env, listen: `${hostPart(host)}:${port}`, host, port, url: `http://${hostPart(shown)}:${port}` };
}

/** The sum of every sample of `name` in a Prometheus text exposition, optionally only those with `label`. */
function sumMetric(text: string, name: string, label?: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (label && !line.includes(label)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

async function metricsText(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}

interface Urls {
  console: string;
  supervisor: string;
  runners: string[];
  orchestrator: string;
}

/** Tasks per second are averaged over the rounds of about this long (at least over the last round). */
const RATE_WINDOW_MS = 5000;

/**
 * The summary line, from what is reliable today: the services' /metrics (runs accepted, runs finished
 * by outcome, runs cancelled, tasks executed and in flight) and the supervisors' backlog of submissions on Redis (runs
 * still queued). Counts are of this session: the services' counters start at zero.
 */
function startSummary(urls: Urls, redis: Redis, workflowsStreams: readonly string[]): () => void {
  // Tasks done at each round of the last few seconds: the rate is taken over them, so it does not jump every second.
  let samples: Array<{ at: number; tasks: number }> = [];
  const draw = async (): Promise<void> => {
    const [orchestrator, supervisor, ...runners] = await Promise.all([
      metricsText(`${urls.orchestrator}/metrics`),
      metricsText(`${urls.supervisor}/metrics`),
      ...urls.runners.map((u) => metricsText(`${u}/prometheus`)),
    ]);
    const accepted = sumMetric(orchestrator, ORCHESTRATOR_METRICS.submissionsAccepted.name);
    const events = SUPERVISOR_METRICS.workflowEvents.name;
    const succeeded = sumMetric(supervisor, events, 'outcome="success"');
    const failed = sumMetric(supervisor, events, 'outcome="failure"');
    const cancelled = sumMetric(orchestrator, ORCHESTRATOR_METRICS.runsCancelled.name);
    const tasks = runners.reduce((n, t) => n + sumMetric(t, ENV_RUNNER_METRICS.assignmentsProcessed.name), 0);
    const inFlight = runners.reduce((n, t) => n + sumMetric(t, ENV_RUNNER_METRICS.inFlight.name), 0);
    const ended = succeeded + failed + cancelled;
    const waiting = await Promise.all(workflowsStreams.map((stream) => backlog(redis, stream)));
    const queued = Math.min(
      waiting.reduce((n, w) => n + w, 0),
      Math.max(0, accepted - ended),
    );
    const running = Math.max(0, accepted - ended - queued);
    const now = Date.now();
    const recent = samples.filter((x) => now - x.at <= RATE_WINDOW_MS);
    // The oldest round in the window, else the one before this (rounds may be further apart than the window).
    const base = recent[0] ?? samples[samples.length - 1];
    samples = [...recent, { at: now, tasks }];
    const rate = base && now > base.at ? ((tasks - base.tasks) * 1000) / (now - base.at) : 0;
    if (!stopping)
      terminal.summary(
        `runs: ${queued} queued · ${running} running · ${succeeded} succeeded · ${failed} failed · ${cancelled} cancelled | tasks: ${rate.toFixed(1)}/s, ${inFlight} in flight, ${tasks} done`,
      );
  };
  let timer: NodeJS.Timeout | undefined;
  const loop = (): void => {
    void draw()
      .catch(() => undefined) // a service restarting: the next round draws again
      .finally(() => {
        if (!stopping) timer = setTimeout(loop, terminal.isTTY ? 1000 : 10_000);
      });
  };
  loop();
  return () => clearTimeout(timer);
}

/** Submissions the supervisors have not taken yet (entries not yet delivered, plus delivered but not acked). */
async function backlog(redis: Redis, stream: string): Promise<number> {
  try {
    const groups = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
    for (const group of groups) {
      const fields = new Map<string, unknown>();
      for (let i = 0; i + 1 < group.length; i += 2) fields.set(String(group[i]), group[i + 1]);
      if (fields.get('name') === GROUPS.supervisor)
        return Number(fields.get('lag') ?? 0) + Number(fields.get('pending') ?? 0);
    }
  } catch {
    // no stream yet
  }
  return 0;
}

/** The parts of the orchestrator's run record the demo reads. */
interface DemoRun {
  status: string;
  submittedAt: number;
  finishedAt?: number;
  tasks: Array<{ id: string; attempts: number; runnerId?: string; domain?: string }>;
}

/** tools/demo/workflow.json: a workflow request whose tasks may name their own `domain`. */
type DemoRequest = Omit<WorkflowRequest, 'tasks'> & {
  readonly tasks: ReadonlyArray<WorkflowRequest['tasks'][number] & { readonly domain?: string }>;
};

/** Submits the demo workflow; resolves with its record's URL, and `done` with its outcome line. */
async function submitDemo(api: string, auth: Record<string, string>): Promise<{ url: string; done: Promise<string> }> {
  const request = JSON.parse(readFileSync(DEMO_FILE, 'utf8')) as DemoRequest;
  const post = (body: DemoRequest): Promise<Response> =>
    fetch(`${api}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(body),
    });
  let res = await post(request);
  let body = await res.text();
  if (res.status === 400 && body.includes('unknown field \\"domain\\"')) {
    // An orchestrator without per-task routing: run the graph anyway, every task on the tenant's domain.
    say('this orchestrator does not route single tasks yet (a task\'s "domain"): the demo runs without it');
    res = await post({ ...request, tasks: request.tasks.map(({ domain: _domain, ...task }) => task) });
    body = await res.text();
  }
  if (res.status !== 202) throw new Error(`the demo submission answered ${res.status}: ${body.trim()}`);
  const url = `${api}${(JSON.parse(body) as { links: { run: string } }).links.run}`;
  const done = (async (): Promise<string> => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !stopping) {
      const run = (await (await fetch(url, { headers: auth })).json()) as DemoRun;
      if (run.status === 'succeeded' || run.status === 'failed') return describeRun(run);
      await new Promise((r) => setTimeout(r, 100));
    }
    return 'the demo run has not finished after 60 s: see its record';
  })();
  return { url, done };
}

/** One line about a finished demo run: outcome, duration, where its tasks ran, which were retried. */
function describeRun(run: DemoRun): string {
  const seconds = run.finishedAt ? ` in ${((run.finishedAt - run.submittedAt) / 1000).toFixed(1)} s` : '';
  const byRunner = new Map<string, string[]>();
  for (const task of run.tasks) {
    const where = `${task.runnerId ?? 'no runner'}${task.domain ? ` (${task.domain})` : ''}`;
    byRunner.set(where, [...(byRunner.get(where) ?? []), task.id]);
  }
  const placed = [...byRunner]
    .map(([where, ids]) => (ids.length <= 2 ? `${where}: ${ids.join(', ')}` : `${where}: ${ids.length} tasks`))
    .join('; ');
  const retried = run.tasks.filter((t) => t.attempts > 1).map((t) => `${t.id} succeeded on attempt ${t.attempts}`);
  return `demo run ${run.status}${seconds}: ${placed}${retried.length > 0 ? `; ${retried.join(', ')}` : ''}`;
}

function build(): void {
  say('building the apps (npm run build)…');
  const result = spawnSync('npm', ['run', '-s', 'build'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false' },
  });
  if (result.status !== 0) {
    // Only a failed build shows its output: the last lines hold the error.
    process.stdout.write(`${`${result.stdout}${result.stderr}`.split('\n').slice(-60).join('\n')}\n`);
    throw new Error('the build failed (npm run build)');
  }
}

/** The token the launcher's own requests carry, and what the orchestrator is given besides the user's settings. */
function apiAccess(): { auth: Record<string, string>; orchestratorEnv: Record<string, string> } {
  const admin = process.env[API_TOKEN_ENV];
  if (admin) return { auth: { authorization: `Bearer ${admin}` }, orchestratorEnv: {} };
  if (isSet(API_TOKENS_ENV)) {
    // Only tenant tokens: the launcher gives the orchestrator an admin token of its own for the demo and the summary.
    const own = randomBytes(32).toString('hex');
    return { auth: { authorization: `Bearer ${own}` }, orchestratorEnv: { [API_TOKEN_ENV]: own } };
  }
  return { auth: {}, orchestratorEnv: {} };
}

async function main(): Promise<void> {
  // Ctrl-C may also end whatever reads our output (`npm run mesh | tee`): a write to it then fails
  // with EPIPE, which must not cut the stopping short and leave services running.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  // SIGHUP: the terminal went away.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));

  let config: LauncherConfig;
  try {
    config = loadConfig(LAUNCHER_SETTINGS, { env: process.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // The line a service prints for the same setting, so that it reads the same here.
    process.stderr.write(`mesh: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }

  const supervisor = listenOn(SUPERVISOR.listen.env, config.supervisorListen);
  const runner = listenOn(RUNNER.listen.env, config.runnerListen);
  // The second runner takes the port after the first one's.
  const gpuRunner = listenOn(RUNNER.listen.env, config.runnerListen, 1);
  const orchestrator = listenOn(ORCHESTRATOR.listen.env, config.orchestratorListen);
  // Before the build: a taken port (another mesh still running?) is found in a second, not after a minute.
  await checkPorts([supervisor, runner, gpuRunner, orchestrator]);

  if (process.env['MESH_LOCAL_SKIP_BUILD'] !== '1') build();

  const redis = await findRedis(config);
  say(`using ${redis.how}, key prefix ${config.streamPrefix}`);
  const logLevel = isSet(SHARED_SETTINGS.logLevel.env) ? config.logLevel : QUIET_LOG_LEVEL;
  const common: Record<string, string | undefined> = {
    ...process.env,
    [SHARED_SETTINGS.streamPrefix.env]: config.streamPrefix,
    [SHARED_SETTINGS.logLevel.env]: logLevel,
  };
  if (redis.servicesUrl) common[SHARED_SETTINGS.redis.env] = redis.servicesUrl;
  if (redis.dropPassword) delete common[SHARED_SETTINGS.redisPassword.env];
  // The services' own listen settings are set below for each; the tokens go to the orchestrator only.
  for (const env of [API_TOKEN_ENV, API_TOKENS_ENV]) delete common[env];

  const access = apiAccess();
  const defaultOrchestratorUrl = listenOn('', ORCHESTRATOR.listen.parse(ORCHESTRATOR.listen.default), -OFFSET).url;
  for (const [tenant, domain] of config.tenantDomainMap.entries())
    if (domain !== DEFAULT_DOMAIN && domain !== GPU_DOMAIN)
      say(
        `tenant ${tenant} is pinned to domain ${domain}, which has no runner here (only ${DEFAULT_DOMAIN} and ${GPU_DOMAIN}): its tasks wait`,
      );

  start('supervisor', 'supervisor', {
    ...common,
    [SUPERVISOR.supervisorId.env]: 'local-supervisor',
    [SUPERVISOR.listen.env]: supervisor.listen,
  });
  start('env-runner', 'env-runner', {
    ...common,
    [RUNNER.runnerId.env]: 'local-runner',
    [RUNNER.domain.env]: DEFAULT_DOMAIN,
    [RUNNER.listen.env]: runner.listen,
  });
  start('env-runner-gpu', 'env-runner', {
    ...common,
    [RUNNER.runnerId.env]: 'local-gpu-runner',
    [RUNNER.domain.env]: GPU_DOMAIN,
    [RUNNER.listen.env]: gpuRunner.listen,
  });
  start('orchestrator', 'orchestrator', {
    ...common,
    [API_TOKEN_ENV]: process.env[API_TOKEN_ENV],
    [API_TOKENS_ENV]: process.env[API_TOKENS_ENV],
    ...access.orchestratorEnv,
    [ORCHESTRATOR.orchestratorId.env]: 'local-orchestrator',
    [ORCHESTRATOR.listen.env]: orchestrator.listen,
  });
  await Promise.all([supervisor, runner, gpuRunner, orchestrator].map((s) => waitReady(`${s.url}/readyz`)));

  const urls: Urls = {
    console: `${orchestrator.url}/`,
    supervisor: supervisor.url,
    runners: [runner.url, gpuRunner.url],
    orchestrator: orchestrator.url,
  };
  // The console first: the one URL a person needs, before anything else is printed.
  say(`the mesh is up. Console: ${urls.console}`);
  let demo: { url: string; done: Promise<string> } | undefined;
  try {
    demo = await submitDemo(orchestrator.url, access.auth);
    say(`  demo run       ${demo.url}`);
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
  }
  say(`  metrics        ${supervisor.url}/metrics (supervisor)  ${orchestrator.url}/metrics (orchestrator)`);
  say(`                 ${runner.url}/prometheus  ${gpuRunner.url}/prometheus (runners; …/hardware too)`);
  const cli = orchestrator.url === defaultOrchestratorUrl ? '' : `MESH_URL=${orchestrator.url} `;
  say(`  submit         ${cli}npx mesh submit tools/demo/workflow.json --watch   (docs/cli.md)`);
  say('Ctrl-C stops everything.');

  const client = createRedisClient(redis, { connectionName: 'mesh-local:summary', onError: () => undefined });
  const keys = createKeys(config.streamPrefix, partitionsOf(config));
  const stopSummary = startSummary(
    urls,
    client,
    keys.partitionKeys.map((p) => p.workflows),
  );
  // Started last, so stopped first: no summary is drawn while the services stop.
  started.push({
    name: 'summary',
    stop: async () => {
      stopSummary();
      client.disconnect();
      return { code: 0, signal: null };
    },
  });
  if (demo) say(await demo.done);
}

main().catch((err: unknown) => {
  say(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
});

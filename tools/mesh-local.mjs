#!/usr/bin/env node
// Runs the whole mesh on this machine with one command (`npm run mesh`): builds the apps, finds or
// starts a Redis, starts the supervisor, two env runners in two domains (tenant "acme" is pinned to
// the "gpu" one) and the orchestrator with readable logs, submits a demo workflow and prints where to
// look. Ctrl-C stops everything, the private Redis too.
//
// Redis: REDIS_URL if set; else 127.0.0.1:6379 if it answers; else a private redis-server on a free
// port when one is on the PATH; else it stops and says how to get one.
// For tests: MESH_LOCAL_SKIP_BUILD=1, MESH_LOCAL_PORT_OFFSET (added to every port),
// MESH_LOCAL_REDIS_CANDIDATE (instead of redis://127.0.0.1:6379), MESH_LOCAL_REDIS_SERVER (the command).
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Redis from 'ioredis';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OFFSET = Number(process.env.MESH_LOCAL_PORT_OFFSET ?? 0);
const PORTS = {
  orchestrator: 9097 + OFFSET,
  supervisor: 9098 + OFFSET,
  runner: 8083 + OFFSET,
  gpuRunner: 8084 + OFFSET,
};
const PREFIX = 'mesh';
const children = [];
let stopping = false;

function say(line) {
  process.stdout.write(`[mesh] ${line}\n`);
}

async function redisAnswers(url) {
  const client = new Redis(url, {
    protocol: 2,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function findRedis() {
  if (process.env.REDIS_URL) {
    if (await redisAnswers(process.env.REDIS_URL)) return { url: process.env.REDIS_URL, how: 'REDIS_URL' };
    throw new Error('REDIS_URL is set but no Redis answers there');
  }
  const candidate = process.env.MESH_LOCAL_REDIS_CANDIDATE ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(candidate)) return { url: candidate, how: `the Redis at ${candidate}` };
  const server = process.env.MESH_LOCAL_REDIS_SERVER ?? 'redis-server';
  if (spawnSync('sh', ['-c', `command -v "${server}"`], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      'no Redis found: set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server (Debian: apt-get install redis-server; macOS: brew install redis)',
    );
  }
  const port = await freePort();
  const child = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
    detached: true,
  });
  children.push({ name: 'redis', child });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 50));
  return { url, how: `a private redis-server on port ${port} (stopped with the mesh)` };
}

function start(name, app, env) {
  const child = spawn(process.execPath, ['--enable-source-maps', join(ROOT, 'dist', 'apps', app, 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
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
    {
      stdio: ['pipe', 'inherit', 'inherit'],
      detached: true,
    },
  );
  child.stdout.pipe(pretty.stdin);
  child.stderr.on('data', (chunk) => process.stderr.write(`[${name}] ${chunk}`));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping the mesh`);
      void stop(1);
    }
  });
  children.push({ name, child });
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  for (const { child } of [...children].reverse()) {
    await new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }
  say('stopped');
  process.exit(code);
}

async function waitHealthy(url) {
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

async function demo() {
  const api = `http://127.0.0.1:${PORTS.orchestrator}`;
  const res = await fetch(`${api}/workflow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      workflow: 'demo',
      tenant: 'acme',
      tasks: [
        { id: 'extract', kind: 'echo', payload: { table: 'orders' } },
        { id: 'transform', kind: 'sleep', payload: { ms: 200 }, dependsOn: ['extract'] },
        { id: 'load', kind: 'echo', payload: { rows: 42 }, dependsOn: ['transform'] },
      ],
    }),
  });
  if (res.status !== 202) throw new Error(`demo submission answered ${res.status}: ${await res.text()}`);
  const { links } = await res.json();
  for (let i = 0; i < 100; i++) {
    const run = await (await fetch(`${api}${links.run}`)).json();
    if (run.status === 'succeeded' || run.status === 'failed') {
      say(
        `demo run ${run.status} (tenant acme → domain ${run.domain}, tasks on ${[...new Set(run.tasks.map((t) => t.runnerId))].join(', ')})`,
      );
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return `${api}${links.run}`;
}

async function main() {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  if (process.env.MESH_LOCAL_SKIP_BUILD !== '1') {
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
  const common = { REDIS_URL: redis.url, MESH_STREAM_PREFIX: PREFIX, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
  start('supervisor', 'supervisor', {
    ...common,
    SUPERVISOR_ID: 'local-supervisor',
    SUPERVISOR_METRICS_LISTEN: `127.0.0.1:${PORTS.supervisor}`,
    MESH_TENANT_DOMAIN_MAP: 'acme=gpu',
  });
  start('env-runner', 'env-runner', {
    ...common,
    RUNNER_ID: 'local-runner',
    MESH_DOMAIN: 'default',
    RUNNER_LISTEN: `127.0.0.1:${PORTS.runner}`,
  });
  start('env-runner-gpu', 'env-runner', {
    ...common,
    RUNNER_ID: 'local-gpu-runner',
    MESH_DOMAIN: 'gpu',
    RUNNER_LISTEN: `127.0.0.1:${PORTS.gpuRunner}`,
  });
  start('orchestrator', 'orchestrator', {
    ...common,
    ORCHESTRATOR_ID: 'local-orchestrator',
    ORCHESTRATOR_LISTEN: `127.0.0.1:${PORTS.orchestrator}`,
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

main().catch((err) => {
  say(`cannot start: ${err.message}`);
  void stop(1);
});

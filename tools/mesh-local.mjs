#!/usr/bin/env node
// Runs the mesh on this machine: builds the apps, finds or starts a Redis, starts the supervisor,
// an env runner and the orchestrator with readable logs, and stops everything on Ctrl-C.
//
//   npm run mesh                 # REDIS_URL if set, else 127.0.0.1:6379, else a private redis-server
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Redis from 'ioredis';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const children = [];
let stopping = false;

function say(line) {
  process.stdout.write(`[mesh] ${line}\n`);
}

async function redisAnswers(url) {
  const client = new Redis(url, { protocol: 2, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
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

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

async function findRedis() {
  if (process.env.REDIS_URL) {
    if (await redisAnswers(process.env.REDIS_URL)) return { url: process.env.REDIS_URL, how: 'REDIS_URL' };
    throw new Error('REDIS_URL is set but Redis does not answer there');
  }
  const local = 'redis://127.0.0.1:6379';
  if (await redisAnswers(local)) return { url: local, how: 'the Redis on 127.0.0.1:6379' };
  if (!onPath('redis-server')) {
    throw new Error('no Redis found: set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server (apt-get install redis-server)');
  }
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', detached: true });
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
  const pretty = spawn(process.execPath, [join(ROOT, 'node_modules', 'pino-pretty', 'bin.js'), '--colorize', '--ignore', 'pid,hostname', '--translateTime', 'SYS:HH:MM:ss.l'], {
    stdio: ['pipe', 'inherit', 'inherit'],
    detached: true,
  });
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
  await Promise.all(
    [...children].reverse().map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
        }),
    ),
  );
  say('stopped');
  process.exit(code);
}

async function main() {
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  say('building the apps (npm run build)…');
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NX_NO_CLOUD: 'true', NX_DAEMON: 'false' } });
  if (build.status !== 0) throw new Error('build failed');

  const redis = await findRedis();
  say(`using ${redis.how}`);
  const common = { REDIS_URL: redis.url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' };
  start('supervisor', 'supervisor', { ...common, SUPERVISOR_METRICS_LISTEN: '127.0.0.1:9098' });
  start('env-runner', 'env-runner', { ...common, RUNNER_LISTEN: '127.0.0.1:8083', MESH_DOMAIN: 'default', RUNNER_ID: 'local-runner-1' });
  start('orchestrator', 'orchestrator', { ...common, ORCHESTRATOR_LISTEN: '127.0.0.1:9097' });

  say('the mesh is up. Look at:');
  say('  supervisor    http://127.0.0.1:9098/metrics   /healthz  /readyz');
  say('  env runner    http://127.0.0.1:8083/prometheus  /metrics  /healthz  /readyz');
  say('  orchestrator  http://127.0.0.1:9097/metrics   /healthz  /readyz');
  say('Ctrl-C stops everything.');
}

main().catch((err) => {
  say(`cannot start: ${err.message}`);
  void stop(1);
});

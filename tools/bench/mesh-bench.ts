/**
 * Throughput and latency of the mesh against the raw Redis-streams loop, measured in one process
 * tree on this machine's Redis (a private key prefix, deleted afterwards):
 *
 *   npm run bench [-- --tasks 10000 --latency-runs 200]
 *
 * 1. baseline: XADD N entries, one group consumer reads them and writes an ack per entry (pipelined,
 *    batched), another reads the acks — the ceiling any stream-based mesh can reach here;
 * 2. fan-out: one run of N independent echo tasks through the built supervisor and one env runner,
 *    from the XADD of the submission to the run-succeeded event;
 * 3. latency: sequential one-task runs, submission to run-succeeded, p50/p95.
 * Prints tasks/s for both and their ratio. Numbers, not assertions: this machine is small and noisy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createKeys, decodeEntry, encodeEntry, PROTOCOL_VERSION, type Submission } from '@mesh/mesh-protocol';

const ROOT = join(__dirname, '..', '..');
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TASKS = arg('tasks', 10_000);
const LATENCY_RUNS = arg('latency-runs', 200);
const URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PREFIX = `bench:${randomUUID().slice(0, 8)}`;
const keys = createKeys(PREFIX);

async function baseline(redis: Redis, n: number): Promise<number> {
  const stream = `${PREFIX}:baseline:in`;
  const acks = `${PREFIX}:baseline:acks`;
  await redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
  const worker = redis.duplicate();
  const started = performance.now();
  const produce = (async () => {
    for (let i = 0; i < n; i += 1000) {
      const p = redis.pipeline();
      for (let j = i; j < Math.min(n, i + 1000); j++)
        p.xadd(stream, '*', 'v', PROTOCOL_VERSION, 'assignment', `{"i":${j}}`);
      await p.exec();
    }
  })();
  const work = (async () => {
    let done = 0;
    while (done < n) {
      const reply = (await worker.xreadgroup(
        'GROUP',
        'g',
        'w',
        'COUNT',
        1000,
        'BLOCK',
        1000,
        'STREAMS',
        stream,
        '>',
      )) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) continue;
      const p = worker.pipeline();
      for (const [, fields] of entries) p.xadd(acks, '*', 'v', PROTOCOL_VERSION, 'ack', fields[3] ?? '');
      p.xack(stream, 'g', ...entries.map(([id]) => id));
      await p.exec();
      done += entries.length;
    }
  })();
  let seen = 0;
  let last = '0';
  while (seen < n) {
    const reply = (await redis.xread('COUNT', 5000, 'BLOCK', 1000, 'STREAMS', acks, last)) as Array<
      [string, Array<[string, string[]]>]
    > | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length > 0) last = entries[entries.length - 1]?.[0] ?? last;
    seen += entries.length;
  }
  await Promise.all([produce, work]);
  worker.disconnect();
  return (n / (performance.now() - started)) * 1000;
}

function startApp(app: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', app, 'main.js')], {
    env: { PATH: process.env['PATH'] ?? '', REDIS_URL: URL, MESH_STREAM_PREFIX: PREFIX, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${app} exited with ${code}`)));
    setTimeout(() => resolve(child), 1500);
  });
}

/** Submits a run and resolves with ms from XADD to its run-succeeded event. */
async function runOnce(redis: Redis, reader: Redis, tasks: number, cursor: { id: string }): Promise<number> {
  const submission: Submission = {
    runId: randomUUID(),
    workflow: 'bench',
    tenant: 'bench',
    tasks: Array.from({ length: tasks }, (_, i) => ({
      id: `t${i}`,
      kind: 'echo',
      payload: null,
      dependsOn: [],
      retries: 0,
      timeoutMs: 60_000,
    })),
    submittedAt: Date.now(),
    hardware: null,
  };
  const t0 = performance.now();
  await redis.xadd(keys.workflows, '*', ...encodeEntry('submission', submission));
  for (;;) {
    const reply = (await reader.xread('COUNT', 1000, 'BLOCK', 10_000, 'STREAMS', keys.runEvents, cursor.id)) as Array<
      [string, Array<[string, string[]]>]
    > | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) throw new Error('no run event within 10 s');
    cursor.id = entries[entries.length - 1]?.[0] ?? cursor.id;
    for (const [, fields] of entries) {
      const e = decodeEntry('event', fields);
      if (
        e.ok &&
        e.message.runId === submission.runId &&
        (e.message.type === 'run-succeeded' || e.message.type === 'run-failed')
      ) {
        if (e.message.type === 'run-failed') throw new Error(`bench run failed: ${e.message.error}`);
        return performance.now() - t0;
      }
    }
  }
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

async function main(): Promise<void> {
  const redis = new Redis(URL, { protocol: 2 });
  const reader = new Redis(URL, { protocol: 2 });
  const apps: ChildProcess[] = [];
  try {
    const base = await baseline(redis, TASKS);
    console.log(`baseline raw streams loop: ${Math.round(base)} entries/s (${TASKS})`);
    apps.push(
      await startApp('supervisor', { SUPERVISOR_METRICS_LISTEN: '127.0.0.1:0', SUPERVISOR_ID: 'bench-supervisor' }),
    );
    apps.push(
      await startApp('env-runner', {
        RUNNER_LISTEN: '127.0.0.1:0',
        RUNNER_ID: 'bench-runner',
        RUNNER_CONCURRENCY: '256',
        RUNNER_HARDWARE_INTERVAL_MS: '0',
      }),
    );
    const cursor = { id: '$' };
    await runOnce(redis, reader, 10, cursor); // warm-up
    const fanoutMs = await runOnce(redis, reader, TASKS, cursor);
    const mesh = (TASKS / fanoutMs) * 1000;
    console.log(`mesh fan-out: ${TASKS} tasks in ${Math.round(fanoutMs)} ms = ${Math.round(mesh)} tasks/s`);
    console.log(`ratio mesh / baseline: ${(mesh / base).toFixed(3)}`);
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) latencies.push(await runOnce(redis, reader, 1, cursor));
    latencies.sort((a, b) => a - b);
    console.log(
      `one-task run latency over ${LATENCY_RUNS} runs: p50 ${pct(latencies, 0.5).toFixed(2)} ms, p95 ${pct(latencies, 0.95).toFixed(2)} ms`,
    );
  } finally {
    for (const a of apps) a.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    let c = '0';
    do {
      const [next, found] = await redis.scan(c, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
      c = next;
      if (found.length > 0) await redis.unlink(...found);
    } while (c !== '0');
    redis.disconnect();
    reader.disconnect();
  }
}

void main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});

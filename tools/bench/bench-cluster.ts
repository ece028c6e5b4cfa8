/**
 * A throwaway Redis Cluster for `--cluster`: `masters` redis-server processes on free ports of
 * 127.0.0.1, no replicas, nothing persisted (no RDB, no AOF), their nodes.conf files in a temp dir.
 * Three or more masters are joined with `redis-cli --cluster create` (its even slot split); one master
 * takes all 16384 slots with CLUSTER ADDSLOTSRANGE (redis-cli wants at least three). stop() SIGKILLs
 * every node and removes the temp dir; start() does the same itself when it fails.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './mesh-launch';

const START_DEADLINE_MS = 30_000;

/** One node: its address and its redis-server process. */
export interface BenchClusterNode {
  readonly address: string;
  readonly port: number;
  readonly pid: number | undefined;
}

export interface BenchCluster {
  /** Every node (all masters), in the order started. */
  readonly nodes: readonly BenchClusterNode[];
  /** "127.0.0.1:port" of each node, for REDIS_CLUSTER_NODES. */
  readonly addresses: readonly string[];
  /** `INFO stats` total_commands_processed of each node, in `nodes` order (null where a node does not answer). */
  commandsProcessed(): Promise<Array<number | null>>;
  /** The slot ranges each node serves, [first, last] each, in `nodes` order. */
  slotRanges(): Promise<Array<Array<[number, number]>>>;
  /** SIGKILLs every node and removes the temp dir; safe to call twice. */
  stop(): Promise<void>;
}

/** One field of an INFO-style reply ("field:value" lines). */
export function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** Runs `fn` on a fresh plain connection to 127.0.0.1:`port` (no retries, no offline queue), then closes it. */
async function onNode<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 5_000,
    disconnectTimeout: 10,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + START_DEADLINE_MS;
  let why = 'no answer yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${START_DEADLINE_MS} ms: ${why}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function redisCli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: START_DEADLINE_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const output = `${stdout}${stderr}`.trim().split('\n').slice(-5).join(' | ');
      reject(new Error(`redis-cli ${args.slice(0, 2).join(' ')} failed (${err.message.split('\n')[0]}): ${output}`));
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Starts a cluster of `masters` masters (1, or 3 and more) and resolves once every node says cluster_state:ok.
 * `onCleanup` gets its stop at once, before any node starts, so that a Ctrl-C while it starts stops it too; and
 * should this process exit without stopping it, an exit handler SIGKILLs the nodes and removes the temp dir.
 */
export async function startBenchCluster(
  masters: number,
  onCleanup: (stop: () => Promise<unknown>) => () => void,
): Promise<BenchCluster> {
  if (masters !== 1 && masters < 3) throw new Error(`a bench cluster has 1 or at least 3 masters, not ${masters}`);
  const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-cluster-'));
  const children: ChildProcess[] = [];
  const onExit = (): void => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  let stopping: Promise<void> | undefined;
  let unregister = (): void => undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all(children.map(kill));
      rmSync(dir, { recursive: true, force: true });
      process.removeListener('exit', onExit);
      unregister();
    })());
  unregister = onCleanup(stop);
  try {
    // Two distinct ports a node: its own and its cluster bus (port + 10000 could be past 65535 or taken).
    const ports = new Set<number>();
    for (let tries = 0; ports.size < masters * 2 && tries < masters * 20; tries++) ports.add(await freePort());
    if (ports.size < masters * 2) throw new Error(`found only ${ports.size} of ${masters * 2} free ports`);
    const list = [...ports];
    const nodes: BenchClusterNode[] = [];
    const spawnErrors: Error[] = [];
    for (let i = 0; i < masters; i++) {
      const port = list[2 * i]!;
      const nodeDir = join(dir, String(port));
      mkdirSync(nodeDir);
      const child = spawn(
        'redis-server',
        [
          ['--port', String(port)],
          ['--cluster-port', String(list[2 * i + 1])],
          ['--bind', '127.0.0.1'],
          // A lone node learns its own address only from a peer: without this its CLUSTER SLOTS names host "".
          ['--cluster-announce-ip', '127.0.0.1'],
          ['--dir', nodeDir],
          ['--save', ''],
          ['--appendonly', 'no'],
          ['--cluster-enabled', 'yes'],
          ['--cluster-config-file', join(nodeDir, 'nodes.conf')],
          ['--cluster-node-timeout', '5000'],
        ].flat(),
        { stdio: 'ignore' },
      );
      child.on('error', (err) => spawnErrors.push(err));
      children.push(child);
      nodes.push({ address: `127.0.0.1:${port}`, port, pid: child.pid });
    }
    await until('cluster nodes did not answer PING', async () => {
      if (spawnErrors[0]) throw new Error(`redis-server did not start: ${spawnErrors[0].message}`);
      for (const n of nodes) await onNode(n.port, (r) => r.ping());
      return true;
    });
    const addresses = nodes.map((n) => n.address);
    if (masters === 1) await onNode(nodes[0]!.port, (r) => r.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383'));
    else await redisCli(['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await until('the cluster did not say cluster_state:ok on every node', async () => {
      for (const n of nodes) {
        const info = String(await onNode(n.port, (r) => r.call('CLUSTER', 'INFO')));
        const state = infoField(info, 'cluster_state');
        if (state !== 'ok') throw new Error(`node ${n.address} says cluster_state:${state}`);
        const known = Number(infoField(info, 'cluster_known_nodes'));
        if (known !== masters) throw new Error(`node ${n.address} knows ${known} of ${masters} nodes`);
      }
      return true;
    });
    return {
      nodes,
      addresses,
      commandsProcessed: () =>
        Promise.all(
          nodes.map((n) =>
            onNode(n.port, async (r) => Number(infoField(await r.info('stats'), 'total_commands_processed'))).catch(
              () => null,
            ),
          ),
        ),
      slotRanges: async () => {
        type Endpoint = [string, number, ...unknown[]];
        const reply = (await onNode(nodes[0]!.port, (r) => r.call('CLUSTER', 'SLOTS'))) as [number, number, Endpoint][];
        return nodes.map((n) =>
          reply.filter(([, , master]) => master[1] === n.port).map(([start, end]): [number, number] => [start, end]),
        );
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

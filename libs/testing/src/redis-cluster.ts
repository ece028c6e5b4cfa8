import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './private-redis';
import { TEST_DEADLINE_MS } from './redis-context';

const SLOT_COUNT = 16384;
/** How long Redis lets a manual failover run before it gives up on it (CLUSTER_MF_TIMEOUT), plus a margin. */
const MANUAL_FAILOVER_RETRY_MS = 6_000;

export interface RedisClusterOptions {
  /** Masters (default 3; redis-cli wants at least 3). */
  masters?: number;
  /** Replicas of each master (default 1). */
  replicasPerMaster?: number;
  /** cluster-node-timeout (default 2000 ms). */
  nodeTimeoutMs?: number;
  /** How long each wait (start, failover) may take before it rejects; TEST_DEADLINE_MS unless told. */
  deadlineMs?: number;
}

interface ClusterNode {
  readonly address: string;
  readonly child: ChildProcess;
  spawnError?: Error;
}

/** A slot range as one node sees it: who serves it, and its replicas that node does not consider failed. */
interface SlotRange {
  readonly start: number;
  readonly end: number;
  readonly master: string;
  readonly replicas: readonly string[];
}

/** Thrown by a probe when waiting longer cannot help (a node died): `until` rejects at once. */
class GaveUp extends Error {}

/**
 * Polls `probe` until it returns a value other than undefined. A probe that is not satisfied yet throws an
 * Error saying why; the last reason ends the rejection after `timeoutMs`: "<what> within <ms> ms: <why>".
 */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let why = 'no answer yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof GaveUp) throw new Error(`${what}: ${err.message}`);
      why = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms: ${why}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function hostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

/** Runs `fn` on a fresh plain connection to the node at `address` (no retries, no offline queue), then closes it. */
async function onNode<T>(address: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const [host, port] = hostPort(address);
  const redis = new Redis(port, host, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    commandTimeout: 5_000,
    // After a refused connection ioredis holds a socket timer this long.
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

/** One field of an INFO-style reply ("field:value" lines). */
function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** CLUSTER SLOTS of the node behind `redis`, sorted by first slot. */
async function slotRanges(redis: Redis): Promise<SlotRange[]> {
  type Endpoint = [string, number, ...unknown[]];
  const reply = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, Endpoint, ...Endpoint[]][];
  return reply
    .map(([start, end, master, ...replicas]) => ({
      start,
      end,
      master: `${master[0]}:${master[1]}`,
      replicas: replicas.map((r) => `${r[0]}:${r[1]}`),
    }))
    .sort((a, b) => a.start - b.start);
}

/**
 * "0-5460@127.0.0.1:p1,…": a node's slot map as one comparable string; throws unless it covers every slot.
 * With `replicas`, each range must have that many replicas, and they are part of the string.
 */
function slotMap(address: string, ranges: readonly SlotRange[], replicas?: number): string {
  let next = 0;
  for (const r of ranges) {
    if (r.start !== next) throw new Error(`node ${address} has no master for slot ${next}`);
    if (replicas !== undefined && r.replicas.length !== replicas) {
      throw new Error(`node ${address} sees ${r.replicas.length} of ${replicas} replicas of ${r.master}`);
    }
    next = r.end + 1;
  }
  if (next !== SLOT_COUNT) throw new Error(`node ${address} has no master for slot ${next}`);
  const replicasOf = (r: SlotRange) => (replicas === undefined ? '' : `+${[...r.replicas].sort().join('+')}`);
  return ranges.map((r) => `${r.start}-${r.end}@${r.master}${replicasOf(r)}`).join(',');
}

/**
 * Checks once that every node in `addresses` says cluster_state:ok, knows `knownNodes` nodes and has the same
 * slot map covering all 16384 slots (with `replicas` replicas a master, if given); returns that map, or throws
 * saying which node disagrees and how.
 */
async function healthySlotMap(
  addresses: readonly string[],
  knownNodes: number,
  replicas?: number,
): Promise<SlotRange[]> {
  const views = await Promise.all(
    addresses.map((address) =>
      onNode(address, async (redis) => {
        const info = await redis.call('CLUSTER', 'INFO');
        const state = field(String(info), 'cluster_state');
        if (state !== 'ok') throw new Error(`node ${address} says cluster_state:${state}`);
        const known = Number(field(String(info), 'cluster_known_nodes'));
        if (known !== knownNodes) throw new Error(`node ${address} knows ${known} of ${knownNodes} nodes`);
        const ranges = await slotRanges(redis);
        return { address, ranges, map: slotMap(address, ranges, replicas) };
      }).catch((err: unknown) => {
        throw err instanceof Error && err.message.startsWith('node ')
          ? err
          : new Error(`node ${address}: ${String(err)}`);
      }),
    ),
  );
  const [first, ...rest] = views;
  if (!first) throw new Error('no node to ask');
  const other = rest.find((v) => v.map !== first.map);
  if (other)
    throw new Error(`node ${other.address} sees slots ${other.map} but node ${first.address} sees ${first.map}`);
  return first.ranges;
}

/** `count` distinct free ports on 127.0.0.1. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count && tries < count * 10; tries++) ports.add(await freePort());
  if (ports.size < count) throw new Error(`found only ${ports.size} of ${count} free ports`);
  return [...ports];
}

function killNode(node: ClusterNode): Promise<void> {
  const { child } = node;
  // No pid: it never started (spawn failed), so there is nothing to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * A real Redis Cluster of a test's own (redis-server processes on free ports on 127.0.0.1, joined with
 * `redis-cli --cluster create`), for tests of cluster-aware clients: MOVED redirections, failover, a dead node.
 * Nothing in it persists: no RDB, no AOF, and its temp directory (nodes.conf files) is removed by stop().
 */
export class RedisCluster {
  private readonly killed = new Set<string>();
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly members: ReadonlyMap<string, ClusterNode>,
    /** "127.0.0.1:port" of every node, masters first (as REDIS_CLUSTER_NODES wants, joined by ","). */
    readonly nodes: readonly string[],
    private readonly deadlineMs: number,
  ) {}

  /**
   * Starts `masters` masters each with `replicasPerMaster` replicas, joins them, and resolves once every node
   * says cluster_state:ok, knows every other node and sees the same master, with the same replicas, for each
   * of the 16384 slots.
   * On failure it kills what it started and removes its temp directory before rejecting.
   */
  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const replicasPerMaster = options.replicasPerMaster ?? 1;
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 2_000;
    const deadlineMs = options.deadlineMs ?? TEST_DEADLINE_MS;
    if (masters < 3) throw new Error(`a cluster needs at least 3 masters, not ${masters}`);
    const count = masters * (1 + replicasPerMaster);

    const dir = mkdtempSync(join(tmpdir(), 'mesh-redis-cluster-'));
    const started: ClusterNode[] = [];
    try {
      // Two ports a node: its own and its cluster bus (port + 10000 could be past 65535 or taken).
      const ports = await distinctFreePorts(count * 2);
      for (let i = 0; i < count; i++) started.push(spawnNode(dir, ports[2 * i]!, ports[2 * i + 1]!, nodeTimeoutMs));
      const addresses = started.map((n) => n.address);

      await until(
        'cluster nodes did not answer PING',
        async () => {
          for (const node of started) {
            if (node.spawnError)
              throw new GaveUp(`redis-server ${node.address} did not start: ${node.spawnError.message}`);
            const { exitCode, signalCode } = node.child;
            if (exitCode !== null || signalCode !== null) {
              throw new GaveUp(`redis-server ${node.address} exited (${signalCode ?? `code ${exitCode}`})`);
            }
            await onNode(node.address, (r) => r.ping()).catch((err: unknown) => {
              throw new Error(`node ${node.address}: ${String(err)}`);
            });
          }
          return true;
        },
        deadlineMs,
      );

      await redisCli(
        ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerMaster), '--cluster-yes'],
        deadlineMs,
      );

      const ranges = await until(
        'cluster did not reach cluster_state:ok with all 16384 slots and their replicas agreed on every node',
        () => healthySlotMap(addresses, count, replicasPerMaster),
        deadlineMs,
      );
      const masterSet = new Set(ranges.map((r) => r.master));
      const ordered = [...addresses.filter((a) => masterSet.has(a)), ...addresses.filter((a) => !masterSet.has(a))];
      return new RedisCluster(dir, new Map(started.map((n) => [n.address, n])), ordered, deadlineMs);
    } catch (err) {
      await Promise.all(started.map(killNode));
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The seed list as one string "127.0.0.1:p1,127.0.0.1:p2,...". */
  get nodesSetting(): string {
    return this.nodes.join(',');
  }

  /** The nodes not killed (nor stopped). */
  private get live(): string[] {
    return this.nodes.filter((a) => !this.killed.has(a));
  }

  /** Runs `fn` on the first live node that answers. */
  private async onAnyNode<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    let last: unknown = new Error('no live node');
    for (const address of this.live) {
      try {
        return await onNode(address, fn);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  /** The address of the master that serves `key`'s slot now, as the first live node that answers sees it. */
  async masterOf(key: string): Promise<string> {
    return this.onAnyNode(async (redis) => {
      const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
      const range = (await slotRanges(redis)).find((r) => r.start <= slot && slot <= r.end);
      if (!range) throw new Error(`no master serves slot ${slot} (key ${key})`);
      return range.master;
    });
  }

  /**
   * Promotes a replica of the master at `masterAddress` with CLUSTER FAILOVER (sent to the replica, once its
   * replication link is up; sent again if Redis gave up on it) and resolves, with the new master's address, once
   * every live node sees that replica as the master of those slots and says cluster_state:ok.
   */
  async failover(masterAddress: string): Promise<string> {
    const ranges = (await onNode(masterAddress, slotRanges)).filter((r) => r.master === masterAddress);
    const first = ranges[0];
    if (!first) throw new Error(`${masterAddress} serves no slots: not a master`);
    const replica = first.replicas.find((a) => this.members.has(a) && !this.killed.has(a));
    if (!replica) throw new Error(`master ${masterAddress} has no live replica`);

    await until(
      `replica ${replica} did not get its replication link to ${masterAddress} up`,
      () =>
        onNode(replica, async (redis) => {
          const link = field(await redis.info('replication'), 'master_link_status');
          if (link !== 'up') throw new Error(`master_link_status:${link}`);
          return true;
        }),
      this.deadlineMs,
    );

    const request = () => onNode(replica, (redis) => redis.call('CLUSTER', 'FAILOVER'));
    await request();
    let sentAt = Date.now();
    await until(
      `replica ${replica} did not take over ${masterAddress}'s slots on every node`,
      async () => {
        const role = await onNode(replica, async (redis) => field(await redis.info('replication'), 'role'));
        if (role !== 'master') {
          // A manual failover that did not complete in time is dropped by Redis without a word: ask again.
          if (Date.now() - sentAt > MANUAL_FAILOVER_RETRY_MS) {
            await request();
            sentAt = Date.now();
          }
          throw new Error(`node ${replica} says role:${role}`);
        }
        const now = await healthySlotMap(this.live, this.nodes.length);
        for (const r of ranges) {
          const seen = now.find((n) => n.start === r.start && n.end === r.end);
          if (seen?.master !== replica) {
            throw new Error(`slots ${r.start}-${r.end} are served by ${seen?.master ?? 'nobody'}, not ${replica}`);
          }
        }
        return replica;
      },
      this.deadlineMs,
    );
    return replica;
  }

  /** SIGKILLs the node at `address` (no save, no goodbye to its peers or clients). */
  async kill(address: string): Promise<void> {
    const node = this.members.get(address);
    if (!node) throw new Error(`${address} is not a node of this cluster`);
    this.killed.add(address);
    await killNode(node);
  }

  /** SIGKILLs every node and removes the temp directory; safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const address of this.nodes) this.killed.add(address);
      await Promise.all([...this.members.values()].map(killNode));
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.stopping;
  }
}

function spawnNode(dir: string, port: number, busPort: number, nodeTimeoutMs: number): ClusterNode {
  const nodeDir = join(dir, String(port));
  mkdirSync(nodeDir);
  const child = spawn(
    'redis-server',
    [
      ['--port', String(port)],
      ['--cluster-port', String(busPort)],
      ['--bind', '127.0.0.1'],
      ['--dir', nodeDir],
      ['--save', ''],
      ['--appendonly', 'no'],
      ['--cluster-enabled', 'yes'],
      ['--cluster-config-file', join(nodeDir, 'nodes.conf')],
      ['--cluster-node-timeout', String(nodeTimeoutMs)],
      // A replica's first sync would otherwise wait 5 s for more replicas to share the transfer.
      ['--repl-diskless-sync-delay', '0'],
      // CLUSTER SLOTS lists a replica only once its replication offset is above 0, which an idle master
      // moves only with its pings to replicas (every 10 s by default).
      ['--repl-ping-replica-period', '1'],
    ].flat(),
    { stdio: 'ignore' },
  );
  const node: ClusterNode = { address: `127.0.0.1:${port}`, child };
  // Seen by the readiness wait; unhandled, the error event would crash the test.
  child.on('error', (err) => {
    node.spawnError = err;
  });
  return node;
}

/** Runs redis-cli with `args`, killed after `timeoutMs`; rejects with its output if it fails. */
function redisCli(args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const output = `${stdout}${stderr}`.trim().split('\n').slice(-5).join(' | ');
      const how = err.killed ? `was killed after ${timeoutMs} ms` : `failed (${err.message.split('\n')[0]})`;
      reject(new Error(`redis-cli ${args.slice(0, 2).join(' ')} ${how}: ${output}`));
    });
  });
}

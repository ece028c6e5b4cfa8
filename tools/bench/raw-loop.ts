/**
 * The raw Redis-streams loop, in its own process (forked by mesh-bench.ts): the ceiling any
 * stream-based mesh can reach on this machine and Redis. A producer XADDs entries in pipelines of
 * 1000; a consumer-group reader (its own connection) writes an ack entry per entry and XACKs them,
 * pipelined per batch; an ack reader (another connection) counts the acks.
 *   fan-out: N entries, from the first XADD until the N-th ack is read;
 *   latency: one entry at a time, XADD → its ack read.
 * Keys: <prefix>:raw:in and <prefix>:raw:acks.
 */
import Redis from 'ioredis';
import { childConfig, reply, serveParent } from './ipc';
import type { RawCommand, RawReply } from './messages';

const PIPELINE = 1000;
const READ_COUNT = 1000;
const BLOCK_MS = 1000;
/** A phase with no ack for this long has stalled. */
const STALL_MS = 30_000;

type StreamReply = Array<[string, Array<[string, string[]]>]> | null;

const config = childConfig();
const stream = `${config.prefix}:raw:in`;
const acks = `${config.prefix}:raw:acks`;
const group = 'raw';
const producer = new Redis(config.redisUrl, { protocol: 2 });
const worker = new Redis(config.redisUrl, { protocol: 2 });
const ackReader = new Redis(config.redisUrl, { protocol: 2 });
let closing = false;
let lastAck = '0-0';

async function work(): Promise<void> {
  while (!closing) {
    let reply: StreamReply;
    try {
      reply = (await worker.xreadgroup(
        'GROUP',
        group,
        'w',
        'COUNT',
        READ_COUNT,
        'BLOCK',
        BLOCK_MS,
        'STREAMS',
        stream,
        '>',
      )) as StreamReply;
    } catch (err) {
      if (closing) return;
      throw err;
    }
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) continue;
    const p = worker.pipeline();
    for (const [, fields] of entries) p.xadd(acks, '*', 'v', '1', 'ack', fields[3] ?? '');
    p.xack(stream, group, ...entries.map(([id]) => id));
    await p.exec();
  }
}

/** Reads acks after the last one seen until `count` more arrived. */
async function readAcks(count: number, onProgress?: (seen: number) => void): Promise<void> {
  let seen = 0;
  let quietSince = performance.now();
  while (seen < count) {
    const reply = (await ackReader.xread('COUNT', 5000, 'BLOCK', BLOCK_MS, 'STREAMS', acks, lastAck)) as StreamReply;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) {
      if (performance.now() - quietSince > STALL_MS) throw new Error(`no ack for ${STALL_MS} ms (${seen}/${count})`);
      continue;
    }
    quietSince = performance.now();
    lastAck = entries[entries.length - 1]?.[0] ?? lastAck;
    seen += entries.length;
    onProgress?.(seen);
  }
}

async function fanOut(tasks: number): Promise<void> {
  const started = performance.now();
  const produce = (async () => {
    for (let i = 0; i < tasks; i += PIPELINE) {
      const p = producer.pipeline();
      for (let j = i; j < Math.min(tasks, i + PIPELINE); j++) p.xadd(stream, '*', 'v', '1', 'assignment', `{"i":${j}}`);
      await p.exec();
    }
  })();
  let reported = 0;
  await readAcks(tasks, (seen) => {
    if (seen - reported >= 1000) {
      reported = seen;
      reply<RawReply>({ type: 'progress', done: seen });
    }
  });
  await produce;
  reply<RawReply>({ type: 'fan-out-done', ms: performance.now() - started });
}

async function latency(runs: number): Promise<void> {
  const samplesMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await producer.xadd(stream, '*', 'v', '1', 'assignment', `{"i":${i}}`);
    await readAcks(1);
    samplesMs.push(performance.now() - started);
  }
  reply<RawReply>({ type: 'latency-done', samplesMs });
}

async function main(): Promise<void> {
  await producer.xgroup('CREATE', stream, group, '$', 'MKSTREAM');
  const working = work();
  working.catch((err: unknown) => {
    reply<RawReply>({ type: 'error', message: `group reader: ${(err as Error).message}` });
    process.exit(1);
  });
  serveParent<RawCommand>(
    async (command) => {
      if (command.type === 'fan-out') await fanOut(command.tasks);
      else if (command.type === 'latency') await latency(command.runs);
    },
    async () => {
      closing = true;
      worker.disconnect();
      await working.catch(() => undefined);
      producer.disconnect();
      ackReader.disconnect();
    },
  );
  reply<RawReply>({ type: 'ready' });
}

main().catch((err: unknown) => {
  reply<RawReply>({ type: 'error', message: (err as Error).message });
  process.exit(1);
});

import { meshNameProblem } from './names';
import { crc16, partitionTag } from './slot';

/** Version of the wire protocol written into every entry's `v` field. */
export const PROTOCOL_VERSION = '1';

/** Default prefix of every key and stream. */
export const DEFAULT_STREAM_PREFIX = 'mesh';

/** How many entries mesh:run-events keeps (approximately): it is a feed of changes, not a store. */
export const RUN_EVENTS_MAX_LEN = 100_000;

/** Consumer groups, one per reading service (mesh:run-events is a feed with no group of Mesh's own). */
export const GROUPS = Object.freeze({
  supervisor: 'supervisor',
  runners: 'runners',
});

/** The most partitions Mesh spreads its shared streams and schedule over (MESH_PARTITIONS). */
export const MAX_PARTITIONS = 64;

/**
 * The keys of one partition. Every run belongs to one partition (partitionOf): its submission, its runners'
 * reports, its changes on the feed and its waiting attempts go to that partition's keys. With one partition
 * these are the wire protocol's plain names (mesh:workflows, …); with more, each partition's keys share a
 * hash tag of their own, so that a Redis Cluster spreads the partitions over its masters.
 */
export interface PartitionKeys {
  readonly index: number;
  /** Stream: orchestrator → supervisor submissions. */
  readonly workflows: string;
  /** Stream: runner → supervisor acks. */
  readonly acks: string;
  /** Stream: supervisors → any reader, the feed of run changes (capped, no group of Mesh's own). */
  readonly runEvents: string;
  /** Sorted set: the supervisors' schedule of attempts that wait (retries, missing runners, queue deadlines), by due time. */
  readonly schedule: string;
}

/**
 * Every Redis key and stream name Mesh uses, built in this one place. Run-state keys carry the run
 * id as a hash tag (`{runId}`) so that all keys of one run live in one Redis Cluster slot.
 */
export interface MeshKeys {
  readonly prefix: string;
  /** How many partitions (MESH_PARTITIONS): 1 unless the keys were built for more. */
  readonly partitions: number;
  /** Every partition's keys, by index. */
  readonly partitionKeys: readonly PartitionKeys[];
  /** The partition a run belongs to: CRC16 of its id, mod the number of partitions. */
  partitionOf(runId: string): number;
  /** The keys of the partition `runId` belongs to. */
  ofRun(runId: string): PartitionKeys;
  /** The partition keys' names with one partition (mesh:workflows, …), whatever the number of partitions. */
  readonly unpartitioned: PartitionKeys;
  /** String: the number of partitions the services of this prefix use (written once, checked by each). */
  readonly partitionCount: string;
  /** Stream: orchestrator → supervisor submissions (partition 0's; with one partition, the only one). */
  readonly workflows: string;
  /** Stream: runner → supervisor acks (partition 0's). */
  readonly acks: string;
  /** Stream: supervisors → any reader, the public feed of run changes (partition 0's). */
  readonly runEvents: string;
  /** Stream: dead letters, for operators. */
  readonly dead: string;
  /** Hash: runner id → registration JSON. */
  readonly runners: string;
  /** Sorted set: the supervisors' schedule of waiting attempts (partition 0's). */
  readonly schedule: string;
  /** String: when this Redis data set began for Mesh (epoch ms), written once (SET NX) on each connection. */
  readonly epoch: string;
  /** Sorted set: every run, by submission time (the index of `GET /runs`). */
  readonly runs: string;
  /** Pub/sub channel: the ids of runs just cancelled, for runners to abort their attempts. */
  readonly cancels: string;
  /** Stream: supervisor → runners of one domain. */
  assignments(domain: string): string;
  /** A key of one run's state, in the run's hash slot. */
  run(runId: string, part: string): string;
  /** A key of one workflow (its run index). */
  workflow(workflow: string, part: string): string;
  /** A key of one tenant (its run index). */
  tenant(tenant: string, part: string): string;
  /** An idempotency key's entry (orchestrator), by the SHA-256 of the client's key. */
  idempotency(digest: string): string;
}

export function createKeys(prefix: string = DEFAULT_STREAM_PREFIX, partitions = 1): MeshKeys {
  const problem = prefixProblem(prefix);
  if (problem) throw new RangeError(`stream prefix ${problem}`);
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS)
    throw new RangeError(`partitions must be an integer from 1 to ${MAX_PARTITIONS} (got ${partitions})`);
  const named = (index: number, suffix: string): PartitionKeys =>
    Object.freeze({
      index,
      workflows: `${prefix}:workflows${suffix}`,
      acks: `${prefix}:acks${suffix}`,
      runEvents: `${prefix}:run-events${suffix}`,
      schedule: `${prefix}:schedule${suffix}`,
    });
  const partitionKeys = Array.from({ length: partitions }, (_, index) =>
    named(index, partitions === 1 ? '' : `:{${partitionTag(index, partitions)}}`),
  );
  const partitionOf = (runId: string): number => (partitions === 1 ? 0 : crc16(runId) % partitions);
  const first = partitionKeys[0] as PartitionKeys;
  return Object.freeze({
    prefix,
    partitions,
    partitionKeys: Object.freeze(partitionKeys),
    partitionOf,
    ofRun: (runId: string): PartitionKeys => partitionKeys[partitionOf(runId)] as PartitionKeys,
    unpartitioned: named(0, ''),
    partitionCount: `${prefix}:partitions`,
    workflows: first.workflows,
    acks: first.acks,
    runEvents: first.runEvents,
    dead: `${prefix}:dead`,
    runners: `${prefix}:runners`,
    schedule: first.schedule,
    epoch: `${prefix}:epoch`,
    runs: `${prefix}:runs`,
    cancels: `${prefix}:cancels`,
    assignments(domain: string): string {
      const bad = meshNameProblem(domain);
      if (bad) throw new RangeError(`domain ${bad}`);
      return `${prefix}:assignments:${domain}`;
    },
    run(runId: string, part: string): string {
      if (runId === '' || /[{}]/.test(runId))
        throw new RangeError(`run id ${JSON.stringify(runId)} cannot be a hash tag`);
      return `${prefix}:run:{${runId}}:${part}`;
    },
    idempotency(digest: string): string {
      return `${prefix}:idempotency:${digest}`;
    },
    workflow(workflow: string, part: string): string {
      const bad = meshNameProblem(workflow);
      if (bad) throw new RangeError(`workflow ${bad}`);
      return `${prefix}:workflow:${workflow}:${part}`;
    },
    tenant(tenant: string, part: string): string {
      const bad = meshNameProblem(tenant);
      if (bad) throw new RangeError(`tenant ${bad}`);
      return `${prefix}:tenant:${tenant}:${part}`;
    },
  });
}

/** A prefix is one or more Mesh names joined by ":" (e.g. `mesh` or `test:42`). */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix === '') return 'is empty';
  for (const part of prefix.split(':')) {
    const bad = meshNameProblem(part);
    if (bad) return `${JSON.stringify(prefix)}: part ${bad}`;
  }
  return undefined;
}

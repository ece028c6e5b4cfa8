import { meshNameProblem } from './names';

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

/**
 * Every Redis key and stream name Mesh uses, built in this one place. Run-state keys carry the run
 * id as a hash tag (`{runId}`) so that all keys of one run live in one Redis Cluster slot.
 */
export interface MeshKeys {
  readonly prefix: string;
  /** Stream: orchestrator → supervisor submissions. */
  readonly workflows: string;
  /** Stream: runner → supervisor acks. */
  readonly acks: string;
  /** Stream: supervisors → any reader, the public feed of run changes (capped, no group of Mesh's own). */
  readonly runEvents: string;
  /** Stream: dead letters, for operators. */
  readonly dead: string;
  /** Hash: runner id → registration JSON. */
  readonly runners: string;
  /** Sorted set: the supervisors' schedule of attempts that wait (retries, missing runners, queue deadlines), by due time. */
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

export function createKeys(prefix: string = DEFAULT_STREAM_PREFIX): MeshKeys {
  const problem = prefixProblem(prefix);
  if (problem) throw new RangeError(`stream prefix ${problem}`);
  return Object.freeze({
    prefix,
    workflows: `${prefix}:workflows`,
    acks: `${prefix}:acks`,
    runEvents: `${prefix}:run-events`,
    dead: `${prefix}:dead`,
    runners: `${prefix}:runners`,
    schedule: `${prefix}:schedule`,
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

import { DEFAULT_LEASE_MS } from '@mesh/mesh-protocol';
import {
  parseInteger,
  SERVICE_SETTINGS,
  setting,
  SHARED_SETTINGS,
  TENANT_DOMAIN_MAP_SETTING,
  type ConfigOf,
} from '@mesh/config';

const int = parseInteger;

/** Every setting of the supervisor. */
export const SUPERVISOR_SETTINGS = {
  ...SHARED_SETTINGS,
  listen: SERVICE_SETTINGS.supervisor.listen,
  tenantDomainMap: TENANT_DOMAIN_MAP_SETTING,
  tenantDomainMapFile: setting({
    env: 'MESH_TENANT_DOMAIN_MAP_FILE',
    flag: '--tenant-domain-map-file',
    parse: (raw: string) => raw,
    doc: 'A file holding the tenant map (same syntax); read at start and again on SIGHUP. Not combined with MESH_TENANT_DOMAIN_MAP.',
  }),
  defaultDomain: SERVICE_SETTINGS.supervisor.defaultDomain,
  supervisorId: SERVICE_SETTINGS.supervisor.supervisorId,
  batchSize: setting({
    env: 'SUPERVISOR_BATCH_SIZE',
    default: '500',
    parse: int(1, 10_000),
    doc: 'Entries read, claimed or scheduled per round.',
  }),
  blockMs: setting({
    env: 'SUPERVISOR_BLOCK_MS',
    default: '2000',
    parse: int(10, 60_000),
    doc: 'How long one read waits for new submissions or acks.',
  }),
  claimIdleMs: setting({
    env: 'SUPERVISOR_CLAIM_IDLE_MS',
    default: '10000',
    parse: int(100, 3_600_000),
    doc: 'Submissions and acks left unacked this long by a supervisor that died are taken over by another.',
  }),
  scheduleLeaseMs: setting({
    env: 'SUPERVISOR_SCHEDULE_LEASE_MS',
    default: '5000',
    parse: int(100, 3_600_000),
    doc: 'How long a claimed schedule entry belongs to one supervisor before another may take it.',
  }),
  pollMs: setting({
    env: 'SUPERVISOR_POLL_MS',
    default: '20',
    parse: int(1, 10_000),
    doc: 'How often the schedule is checked when idle.',
  }),
  leaseMs: setting({
    env: 'SUPERVISOR_LEASE_MS',
    default: String(DEFAULT_LEASE_MS),
    parse: int(100, 3_600_000),
    doc: "The lease each assignment announces (leaseMs): set it to the runners' RUNNER_CLAIM_IDLE_MS. A worker that never renews leases works for tasks shorter than this.",
  }),
  publishConcurrency: setting({
    env: 'SUPERVISOR_PUBLISH_CONCURRENCY',
    default: '4',
    parse: int(1, 256),
    doc: 'Pipelined XADD batches in flight at once.',
  }),
  publishMaxAttempts: setting({
    env: 'SUPERVISOR_PUBLISH_MAX_ATTEMPTS',
    default: '5',
    parse: int(1, 100),
    doc: 'Attempts to publish one assignment before giving up (the task fails).',
  }),
  publishRetryBaseMs: setting({
    env: 'SUPERVISOR_PUBLISH_RETRY_BASE_MS',
    default: '50',
    parse: int(1, 60_000),
    doc: 'Base of the publish retry backoff (exponential, full jitter).',
  }),
  publishRetryCapMs: setting({
    env: 'SUPERVISOR_PUBLISH_RETRY_CAP_MS',
    default: '2000',
    parse: int(1, 600_000),
    doc: 'Cap of the publish retry backoff.',
  }),
  taskRetryBaseMs: setting({
    env: 'SUPERVISOR_TASK_RETRY_BASE_MS',
    default: '500',
    parse: int(0, 600_000),
    doc: "Base of the backoff before a failed task's next attempt.",
  }),
  taskRetryCapMs: setting({
    env: 'SUPERVISOR_TASK_RETRY_CAP_MS',
    default: '30000',
    parse: int(0, 3_600_000),
    doc: 'Cap of the task retry backoff.',
  }),
  dispatchDeadlineMs: setting({
    env: 'SUPERVISOR_DISPATCH_DEADLINE_MS',
    default: '300000',
    parse: int(100, 86_400_000),
    doc: 'A ready task whose domain has no live runner fails after waiting this long.',
  }),
  missingRecheckCapMs: setting({
    env: 'SUPERVISOR_MISSING_RECHECK_CAP_MS',
    default: '5000',
    parse: int(10, 600_000),
    doc: 'Cap of the backoff between checks for a runner in a domain that has none.',
  }),
  runnerRefreshMs: setting({
    env: 'SUPERVISOR_RUNNER_REFRESH_MS',
    default: '1000',
    parse: int(10, 600_000),
    doc: 'How often the runner registry is re-read.',
  }),
  runnerLeaseMs: setting({
    env: 'SUPERVISOR_RUNNER_LEASE_MS',
    default: '15000',
    parse: int(100, 3_600_000),
    doc: 'Lease of a runner whose registration states none.',
  }),
  finishedRunTtlMs: setting({
    env: 'SUPERVISOR_FINISHED_RUN_TTL_MS',
    default: '86400000',
    parse: int(1000, 365 * 86_400_000),
    doc: "How long a finished run's scheduling state stays in Redis (late acks are recognised meanwhile).",
  }),
  trimIntervalMs: setting({
    env: 'SUPERVISOR_TRIM_INTERVAL_MS',
    default: '30000',
    parse: int(0, 86_400_000),
    doc: 'How often streams are trimmed below what every consumer group acknowledged (0: never).',
  }),
  shutdownGraceMs: setting({
    env: 'SUPERVISOR_SHUTDOWN_GRACE_MS',
    default: '5000',
    parse: int(0, 600_000),
    doc: 'On SIGTERM, how long publishes in flight may take.',
  }),
};

export type SupervisorConfig = ConfigOf<typeof SUPERVISOR_SETTINGS>;

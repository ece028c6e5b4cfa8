import { oneOf, name, text, type LabelSpec } from './labels';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: Readonly<Record<string, LabelSpec>>;
  /** Histogram bucket upper bounds, in the metric's unit. */
  readonly buckets?: readonly number[];
}

export type MetricSet = Readonly<Record<string, MetricDefinition>>;

function define<const S extends Record<string, MetricDefinition>>(set: S): S {
  return set;
}

/** Why a stream entry was sent to the dead-letter stream. */
export const DEAD_LETTER_REASONS = [
  'malformed_json',
  'unsupported_version',
  'invalid_message',
  'delivery_limit',
  'rejected',
] as const;

/** Logical streams of the wire protocol, as metric label values. */
export const STREAM_LABELS = ['workflows', 'assignments', 'acks', 'run_events'] as const;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;

/**
 * The supervisor's metrics. The first nine are the primer's public names, types and labels:
 * dashboards and alert rules already query them, so they never change.
 */
export const SUPERVISOR_METRICS = define({
  meshDispatch: {
    name: 'supervisor_mesh_dispatch_total',
    type: 'counter',
    help: 'Async publishes of assignments by outcome: success (published), retry (failed, retried with backoff), failure (gave up), missing (no live runner or route for the domain).',
    labels: { status: oneOf('success', 'retry', 'failure', 'missing') },
  },
  workerLatencySeconds: {
    name: 'supervisor_worker_latency_seconds_total',
    type: 'counter',
    help: 'Sum of acked assignment latencies per worker, in seconds; divide its rate by the samples rate for the average.',
    labels: { worker: name() },
  },
  workerLatencySamples: {
    name: 'supervisor_worker_latency_samples_total',
    type: 'counter',
    help: 'Acks counted into supervisor_worker_latency_seconds_total per worker.',
    labels: { worker: name() },
  },
  workerTaskFailures: {
    name: 'supervisor_worker_task_failures_total',
    type: 'counter',
    help: 'Acks with success=false per worker.',
    labels: { worker: name() },
  },
  pendingQueueDepth: {
    name: 'supervisor_pending_queue_depth',
    type: 'gauge',
    help: 'Ready tasks not yet handed to the publisher.',
    labels: {},
  },
  meshQueueDepth: {
    name: 'supervisor_mesh_queue_depth',
    type: 'gauge',
    help: 'Assignment publishes queued or in flight in the async publish pool.',
    labels: {},
  },
  workflowEvents: {
    name: 'supervisor_workflow_events_total',
    type: 'counter',
    help: 'Finished workflow runs per workflow by outcome.',
    labels: { workflow: name(), outcome: oneOf('success', 'failure') },
  },
  workflowLatencySeconds: {
    name: 'supervisor_workflow_latency_seconds_total',
    type: 'counter',
    help: 'Sum of finished run durations (submittedAt to finishedAt) per workflow, in seconds.',
    labels: { workflow: name() },
  },
  workflowLatencySamples: {
    name: 'supervisor_workflow_latency_samples_total',
    type: 'counter',
    help: 'Finished runs counted into supervisor_workflow_latency_seconds_total per workflow.',
    labels: { workflow: name() },
  },
  tenantDomainOverride: {
    name: 'supervisor_tenant_domain_override',
    type: 'gauge',
    help: 'Tenant routing overrides in force: 1 per tenant pinned to a domain.',
    labels: { tenant: name(), domain: name() },
  },
  routedAssignments: {
    name: 'supervisor_routed_assignments_total',
    type: 'counter',
    help: 'Assignments routed per target domain, by whether a tenant override or the default domain chose it.',
    labels: { domain: name(), route: oneOf('override', 'default') },
  },
  runnersOnline: {
    name: 'supervisor_runners_online',
    type: 'gauge',
    help: 'Runners with a live lease in the runner registry, per domain.',
    labels: { domain: name() },
  },
  duplicateAcks: {
    name: 'supervisor_duplicate_acks_total',
    type: 'counter',
    help: 'Acks that changed nothing because the attempt was already settled (at-least-once redelivery).',
    labels: {},
  },
  streamTrimmed: {
    name: 'supervisor_stream_trimmed_entries_total',
    type: 'counter',
    help: 'Stream entries removed because every consumer group had acknowledged them.',
    labels: { stream: oneOf(...STREAM_LABELS) },
  },
  deadLetters: {
    name: 'supervisor_dead_letters_total',
    type: 'counter',
    help: 'Stream entries the supervisor sent to the dead-letter stream, by source stream and reason.',
    labels: { stream: oneOf(...STREAM_LABELS), reason: oneOf(...DEAD_LETTER_REASONS) },
  },
});

/** The env runner's own metrics, served on `/prometheus` and `/metrics`. */
export const ENV_RUNNER_METRICS = define({
  assignmentsProcessed: {
    name: 'env_runner_assignments_processed_total',
    type: 'counter',
    help: 'Assignments executed and acked, by task kind (successes and failures).',
    labels: { kind: name(200) },
  },
  assignmentsFailed: {
    name: 'env_runner_assignments_failed_total',
    type: 'counter',
    help: 'Assignments acked with success=false, by task kind and reason.',
    labels: {
      kind: name(200),
      reason: oneOf('error', 'timeout', 'invalid_payload', 'unknown_kind', 'delivery_limit', 'cancelled'),
    },
  },
  assignmentLatency: {
    name: 'env_runner_assignment_latency_seconds',
    type: 'histogram',
    help: 'Time from the start of an assignment to its ack, in seconds, by task kind.',
    labels: { kind: name(200) },
    buckets: LATENCY_BUCKETS,
  },
  inFlight: {
    name: 'env_runner_assignments_in_flight',
    type: 'gauge',
    help: 'Assignments executing now.',
    labels: {},
  },
  deadLetters: {
    name: 'env_runner_dead_letters_total',
    type: 'counter',
    help: 'Assignment entries the runner sent to the dead-letter stream, by reason.',
    labels: { reason: oneOf(...DEAD_LETTER_REASONS) },
  },
  hardwareDetectionErrors: {
    name: 'env_runner_hardware_detection_errors_total',
    type: 'counter',
    help: 'Hardware probes that failed, by what was being detected.',
    labels: { source: oneOf('cpu', 'memory', 'gpu', 'os') },
  },
  hardwareChanges: {
    name: 'env_runner_hardware_changes_total',
    type: 'counter',
    help: 'Hardware snapshots that differed from the previous one.',
    labels: {},
  },
});

/** The hardware snapshot, inlined into the env runner's `/metrics` only. */
export const ENV_RUNNER_HARDWARE_METRICS = define({
  cpuInfo: {
    name: 'env_runner_cpu_info',
    type: 'gauge',
    help: 'CPU of this runner; always 1, the facts are in the labels.',
    labels: { vendor: text(), model: text(), arch: text() },
  },
  cpuCores: {
    name: 'env_runner_cpu_cores',
    type: 'gauge',
    help: 'CPU cores of this runner, physical and logical.',
    labels: { type: oneOf('physical', 'logical') },
  },
  memoryTotalBytes: {
    name: 'env_runner_memory_total_bytes',
    type: 'gauge',
    help: 'Total memory of this runner, in bytes.',
    labels: {},
  },
  gpuInfo: {
    name: 'env_runner_gpu_info',
    type: 'gauge',
    help: 'A GPU of this runner; always 1, the facts are in the labels.',
    labels: { index: text(256), vendor: text(), model: text(), driver: text() },
  },
  gpuMemoryTotalBytes: {
    name: 'env_runner_gpu_memory_total_bytes',
    type: 'gauge',
    help: 'Memory (VRAM) of a GPU of this runner, in bytes.',
    labels: { index: text(256) },
  },
  hardwareCollectedTimestamp: {
    name: 'env_runner_hardware_collected_timestamp_seconds',
    type: 'gauge',
    help: 'When the hardware snapshot was collected, in seconds since the epoch.',
    labels: {},
  },
});

/** Route templates of the orchestrator's HTTP API, as metric label values. */
export const ORCHESTRATOR_ROUTES = [
  'POST /workflow',
  'GET /workflows/{id}/runs',
  'GET /workflows/{id}/runs/{runId}',
  'GET /runs',
  'POST /workflows/{id}/runs/{runId}/cancel',
  'POST /workflows/{id}/runs/{runId}/rerun',
  'GET /workflows/{id}/runs/{runId}/events',
  'GET /',
  'GET /{file}',
  'GET /console/config.json',
  'GET /metrics',
  'GET /healthz',
  'GET /readyz',
  'unmatched',
] as const;

export const ORCHESTRATOR_METRICS = define({
  submissionsAccepted: {
    name: 'orchestrator_submissions_accepted_total',
    type: 'counter',
    help: 'Workflow submissions accepted and queued on the workflows stream.',
    labels: {},
  },
  runsCancelled: {
    name: 'orchestrator_runs_cancelled_total',
    type: 'counter',
    help: 'Runs cancelled through POST /workflows/{id}/runs/{runId}/cancel (they end neither succeeded nor failed).',
    labels: {},
  },
  submissionsRejected: {
    name: 'orchestrator_submissions_rejected_total',
    type: 'counter',
    help: 'Workflow submissions refused, by reason.',
    labels: { reason: oneOf('invalid', 'too_large', 'unsupported_media_type', 'unauthorized', 'unavailable') },
  },
  httpRequestDuration: {
    name: 'orchestrator_http_request_duration_seconds',
    type: 'histogram',
    help: 'HTTP request durations, in seconds, by route template and status class.',
    labels: { route: oneOf(...ORCHESTRATOR_ROUTES), status_class: oneOf('1xx', '2xx', '3xx', '4xx', '5xx') },
    buckets: LATENCY_BUCKETS,
  },
});

/** Every metric set, by the service that exposes it. */
export const METRIC_SETS = {
  supervisor: SUPERVISOR_METRICS,
  'env-runner': ENV_RUNNER_METRICS,
  'env-runner-hardware': ENV_RUNNER_HARDWARE_METRICS,
  orchestrator: ORCHESTRATOR_METRICS,
} as const;

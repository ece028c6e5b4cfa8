import { DEFAULT_LEASE_MS } from '@mesh/mesh-protocol';
import { parseExecAllow } from './tasks/exec-policy';
import { parseInteger, SERVICE_SETTINGS, setting, SHARED_SETTINGS, type ConfigOf } from '@mesh/config';

const ms = (min: number, max: number) => parseInteger(min, max);

/** Every setting of the env runner. */
export const ENV_RUNNER_SETTINGS = {
  ...SHARED_SETTINGS,
  listen: SERVICE_SETTINGS['env-runner'].listen,
  domain: SERVICE_SETTINGS['env-runner'].domain,
  runnerId: SERVICE_SETTINGS['env-runner'].runnerId,
  concurrency: setting({
    env: 'RUNNER_CONCURRENCY',
    default: '16',
    parse: parseInteger(1, 10_000),
    doc: 'Assignments executed at once.',
  }),
  claimIdleMs: setting({
    env: 'RUNNER_CLAIM_IDLE_MS',
    default: String(DEFAULT_LEASE_MS),
    parse: ms(100, 3_600_000),
    doc: 'The lease of an assignment: a runner renews it every fifth of this while it executes the assignment; once it lapses (the runner died or stalled), another runner of the domain takes the assignment over.',
  }),
  maxDeliveries: setting({
    env: 'RUNNER_MAX_DELIVERIES',
    default: '5',
    parse: parseInteger(1, 1000),
    doc: 'Deliveries after which an assignment is acked as failed and dead-lettered.',
  }),
  blockMs: setting({
    env: 'RUNNER_BLOCK_MS',
    default: '2000',
    parse: ms(10, 60_000),
    doc: 'How long one read waits for new assignments.',
  }),
  heartbeatMs: setting({
    env: 'RUNNER_HEARTBEAT_MS',
    default: '5000',
    parse: ms(100, 600_000),
    doc: 'Interval of registry heartbeats in mesh:runners.',
  }),
  leaseMs: setting({
    env: 'RUNNER_LEASE_MS',
    default: '15000',
    parse: ms(300, 3_600_000),
    doc: 'A runner silent for this long counts as gone.',
  }),
  hardwareIntervalMs: setting({
    env: 'RUNNER_HARDWARE_INTERVAL_MS',
    default: '60000',
    parse: ms(0, 86_400_000),
    doc: 'Interval of hardware re-detection (0: only at start).',
  }),
  shutdownGraceMs: setting({
    env: 'RUNNER_SHUTDOWN_GRACE_MS',
    default: '10000',
    parse: ms(0, 3_600_000),
    doc: 'On SIGTERM, how long work in flight may take to finish; what is left is reclaimed by other runners.',
  }),
  outputLimitBytes: setting({
    env: 'RUNNER_OUTPUT_LIMIT_BYTES',
    default: '65536',
    parse: parseInteger(1024, 16 * 1024 * 1024),
    doc: 'Largest task output an ack carries; exec keeps this much of stdout and of stderr.',
  }),
  execAllow: setting({
    env: 'RUNNER_EXEC_ALLOW',
    default: '',
    parse: parseExecAllow,
    doc: 'What the exec task kind may run: a JSON array of {command, args, rest} (argument patterns), or @ and the path of a file holding one; bare comma-separated names allow those commands with no arguments (empty: exec is off). See docs/exec.md.',
  }),
  handlersModule: setting({
    env: 'RUNNER_HANDLERS_MODULE',
    parse: (raw: string) => raw,
    doc: 'Path of a CommonJS module exporting extra task handlers (see docs/env-runner.md).',
  }),
  servicesFile: setting({
    env: 'MESH_SERVICES_FILE',
    parse: (raw: string) => raw,
    doc: 'Path of the mesh manifest (mesh-services.json), validated and echoed in the start-up log.',
  }),
};

export type EnvRunnerConfig = ConfigOf<typeof ENV_RUNNER_SETTINGS>;

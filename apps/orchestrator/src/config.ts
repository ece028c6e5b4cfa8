import { parseInteger, SERVICE_SETTINGS, setting, SHARED_SETTINGS, type ConfigOf } from '@mesh/config';

const int = parseInteger;

/** Every setting of the orchestrator. */
export const ORCHESTRATOR_SETTINGS = {
  ...SHARED_SETTINGS,
  listen: SERVICE_SETTINGS.orchestrator.listen,
  apiToken: setting({
    env: 'MESH_API_TOKEN',
    secret: true,
    parse: (raw: string) => {
      if (raw.length < 16) throw new Error('must be at least 16 characters');
      return raw;
    },
    doc: 'When set, POST /workflow and the run endpoints need "Authorization: Bearer <token>".',
  }),
  orchestratorId: SERVICE_SETTINGS.orchestrator.orchestratorId,
  bodyLimitBytes: setting({
    env: 'ORCHESTRATOR_BODY_LIMIT_BYTES',
    default: String(1024 * 1024),
    parse: int(1024, 256 * 1024 * 1024),
    doc: 'Largest POST /workflow body; larger ones get 413.',
  }),
  recordTtlMs: setting({
    env: 'ORCHESTRATOR_RECORD_TTL_MS',
    default: String(7 * 86_400_000),
    parse: int(60_000, 3650 * 86_400_000),
    doc: "How long a workflow keeps listing its runs (the run index); a finished run itself is kept for the supervisors' SUPERVISOR_FINISHED_RUN_TTL_MS.",
  }),
  idempotencyTtlMs: setting({
    env: 'ORCHESTRATOR_IDEMPOTENCY_TTL_MS',
    default: String(86_400_000),
    parse: int(1000, 365 * 86_400_000),
    doc: 'How long an Idempotency-Key keeps returning the same run.',
  }),
  redisTimeoutMs: setting({
    env: 'ORCHESTRATOR_REDIS_TIMEOUT_MS',
    default: '2000',
    parse: int(10, 60_000),
    doc: 'A request whose Redis work takes longer answers 503 instead of hanging.',
  }),
  runnerRefreshMs: setting({
    env: 'ORCHESTRATOR_RUNNER_REFRESH_MS',
    default: '1000',
    parse: int(10, 600_000),
    doc: 'How often runner hardware is re-read from mesh:runners.',
  }),
};

export type OrchestratorConfig = ConfigOf<typeof ORCHESTRATOR_SETTINGS>;

import { API_TOKEN_ENVS, parseInteger, SERVICE_SETTINGS, setting, SHARED_SETTINGS, type ConfigOf } from '@mesh/config';
import { MIN_TOKEN_LENGTH, readTenantTokens, type TenantTokens } from './auth/api-tokens';

const int = parseInteger;

/** Every setting of the orchestrator. */
export const ORCHESTRATOR_SETTINGS = {
  ...SHARED_SETTINGS,
  listen: SERVICE_SETTINGS.orchestrator.listen,
  // Both are read as text here and checked by tokensFromConfig at start-up: the loader hides a secret
  // setting's parse message ("is invalid"), and these checks must state the rule (never the value).
  apiToken: setting({
    env: API_TOKEN_ENVS.admin,
    secret: true,
    parse: (raw: string) => raw,
    doc: `The admin token (at least ${MIN_TOKEN_LENGTH} characters): "Authorization: Bearer <token>" submits for any tenant and reads every run.`,
  }),
  apiTokens: setting({
    env: API_TOKEN_ENVS.tenants,
    secret: true,
    parse: readTenantTokens,
    secretsOf: (read: TenantTokens) => read.secrets,
    doc: 'Tenant tokens: "token=tenant,…" or "@/path/to/file"; a tenant\'s token submits and reads only its own runs ("*" as tenant: an admin token).',
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
  maxQueuedRuns: setting({
    env: 'ORCHESTRATOR_MAX_QUEUED_RUNS',
    default: '10000',
    parse: int(1, 10_000_000),
    doc: 'Runs waiting in "queued" over all tenants at which POST /workflow answers 429 with Retry-After.',
  }),
  maxQueuedRunsPerTenant: setting({
    env: 'ORCHESTRATOR_MAX_QUEUED_RUNS_PER_TENANT',
    default: '1000',
    parse: int(1, 10_000_000),
    doc: 'Runs waiting in "queued" for one tenant at which its POST /workflow answers 429 with Retry-After.',
  }),
  finishedRunTtlMs: setting({
    env: 'ORCHESTRATOR_FINISHED_RUN_TTL_MS',
    default: '86400000',
    parse: int(1000, 365 * 86_400_000),
    doc: 'How long a run cancelled here keeps its state (as SUPERVISOR_FINISHED_RUN_TTL_MS for runs that end otherwise); set both alike.',
  }),
  consoleDir: setting({
    env: 'ORCHESTRATOR_CONSOLE_DIR',
    default: '',
    parse: (raw: string) => raw,
    doc: 'The built web console served at "/" (default: dist/apps/console beside the orchestrator\'s bundle).',
  }),
  consoleLinks: setting({
    env: 'ORCHESTRATOR_CONSOLE_LINKS',
    default: 'orchestrator=/metrics,supervisor=http://127.0.0.1:9098/metrics,env-runner=http://127.0.0.1:8083/metrics',
    parse: parseConsoleLinks,
    doc: 'The links the web console shows, "name=url,…" (e.g. each service\'s metrics as your browser reaches it).',
  }),
  sseHeartbeatMs: setting({
    env: 'ORCHESTRATOR_SSE_HEARTBEAT_MS',
    default: '15000',
    parse: int(100, 600_000),
    doc: "How often a run's event stream sends a keep-alive comment and re-checks the run's status.",
  }),
  runnerRefreshMs: setting({
    env: 'ORCHESTRATOR_RUNNER_REFRESH_MS',
    default: '1000',
    parse: int(10, 600_000),
    doc: 'How often runner hardware is re-read from mesh:runners.',
  }),
};

/** `name=url,…` into links; a name is any text without "=" or ",", a URL is absolute or starts with "/". */
export function parseConsoleLinks(raw: string): Array<{ name: string; url: string }> {
  if (raw.trim() === '') return [];
  return raw.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const url = pair.slice(eq + 1).trim();
    if (eq <= 0 || name === '' || !(/^https?:\/\/[^\s]+$/.test(url) || /^\/[^\s]*$/.test(url)))
      throw new Error(`"${pair}" is not name=url (an http(s) URL or a path starting with /)`);
    return { name, url };
  });
}

export type OrchestratorConfig = ConfigOf<typeof ORCHESTRATOR_SETTINGS>;

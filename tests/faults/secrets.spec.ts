import { randomBytes } from 'node:crypto';
import { FAST_SUPERVISOR } from '@mesh/mesh-harness';
import {
  createRedisTestContext,
  eventually,
  startServiceProcess,
  TEST_REDIS_URL,
  type RedisTestContext,
  type ServiceProcess,
} from '@mesh/testing';
import { AclUser } from '@mesh/testing';

// Canaries (issue 11): a Redis password, an API token and a task payload that must never reach a log line, a
// metrics page or an HTTP error body, whatever happens: runs, bad requests and Redis refusing commands.

const PASSWORD = `canary-pw-${randomBytes(12).toString('hex')}`;
const TOKEN = `canary-tok-${randomBytes(16).toString('hex')}`;
const PAYLOAD = `canary-payload-${randomBytes(12).toString('hex')}`;
const CANARIES = [PASSWORD, TOKEN, PAYLOAD];

let ctx: RedisTestContext;
let user: AclUser;
const procs: ServiceProcess[] = [];

beforeEach(async () => {
  ctx = createRedisTestContext('secrets');
  user = new AclUser(PASSWORD);
  await user.create(ctx.prefix);
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGTERM')));
  await user.remove();
  await ctx.cleanup();
});

/** REDIS_URL for the test's user, the password in the user info (`user:pw@`) or as `?password=`. */
function redisUrl(form: 'userinfo' | 'query'): string {
  const url = new URL(TEST_REDIS_URL);
  if (form === 'userinfo') {
    url.username = user.name;
    url.password = PASSWORD;
  } else {
    url.pathname = '/0';
    url.search = `?username=${user.name}&password=${PASSWORD}`;
  }
  return url.href;
}

describe('secrets', () => {
  it('when the mesh runs, is sent bad requests and Redis refuses commands, no canary (Redis password, API token, task payload) appears in a log line, a metrics page or an error body', async () => {
    const common = { MESH_STREAM_PREFIX: ctx.prefix, REDIS_TIMEOUT_MS: '2000', LOG_LEVEL: 'debug' };
    const supervisor = await startServiceProcess('supervisor', {
      ...common,
      ...FAST_SUPERVISOR,
      REDIS_URL: redisUrl('userinfo'),
      SUPERVISOR_METRICS_LISTEN: '127.0.0.1:0',
      SUPERVISOR_ID: 'sup',
    });
    procs.push(supervisor);
    const runner = await startServiceProcess('env-runner', {
      ...common,
      REDIS_URL: redisUrl('query'),
      RUNNER_LISTEN: '127.0.0.1:0',
      RUNNER_ID: 'runner',
      RUNNER_BLOCK_MS: '200',
      RUNNER_HEARTBEAT_MS: '200',
      RUNNER_HARDWARE_INTERVAL_MS: '0',
    });
    procs.push(runner);
    const orchestrator = await startServiceProcess('orchestrator', {
      ...common,
      REDIS_URL: redisUrl('query'),
      ORCHESTRATOR_LISTEN: '127.0.0.1:0',
      ORCHESTRATOR_ID: 'orch',
      ORCHESTRATOR_RUNNER_REFRESH_MS: '50',
      MESH_API_TOKEN: TOKEN,
    });
    procs.push(orchestrator);
    const api = `http://127.0.0.1:${orchestrator.port}`;
    const bodies: string[] = [];
    const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
      const res = await fetch(`${api}${path}`, init);
      const text = await res.clone().text();
      if (res.status >= 400) bodies.push(text);
      return res;
    };
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const workflow = (id: string): string =>
      JSON.stringify({ workflow: 'secrets', tenant: 't', tasks: [{ id, kind: 'echo', payload: { secret: PAYLOAD } }] });
    await eventually(async () => ((await call('/readyz')).status === 200 ? true : undefined));

    // A run that goes all the way.
    const ok = await call('/workflow', { method: 'POST', headers: auth, body: workflow('a') });
    expect(ok.status).toBe(202);
    const { links } = (await ok.json()) as { links: { run: string } };
    await eventually(async () => {
      const res = await call(links.run, { headers: auth });
      return ((await res.json()) as { status: string }).status === 'succeeded' ? true : undefined;
    });

    // Bad requests: no token, a wrong one, a near miss, malformed JSON, the wrong type, an unknown run.
    for (const authorization of [undefined, 'Bearer wrong-token-0000000000000', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`]) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization) headers['authorization'] = authorization;
      expect((await call('/workflow', { method: 'POST', headers, body: workflow('b') })).status).toBe(401);
    }
    expect((await call('/workflow', { method: 'POST', headers: auth, body: '{"tasks": [' })).status).toBe(400);
    expect(
      (await call('/workflow', { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'x' }))
        .status,
    ).toBe(415);
    expect((await call('/workflows/secrets/runs/00000000-0000-4000-8000-000000000000', { headers: auth })).status).toBe(
      404,
    );

    // Redis refuses writes and scripts to the mesh for a moment, with a run in flight: every service logs what failed.
    const refused = ['xadd', 'evalsha', 'eval'];
    const logged = (p: ServiceProcess): boolean =>
      p.records.some((r) => JSON.stringify(r['err'] ?? '').includes('NOPERM'));
    const during = await call('/workflow', { method: 'POST', headers: auth, body: workflow('c') });
    await user.refuse(refused);
    await call('/workflow', { method: 'POST', headers: auth, body: workflow('d') });
    await eventually(() => (logged(orchestrator) && (logged(supervisor) || logged(runner)) ? true : undefined));
    await user.allow(refused);
    if (during.status === 202) {
      const { links: l } = (await during.json()) as { links: { run: string } };
      await eventually(async () => {
        const res = await call(l.run, { headers: auth });
        const { status } = (await res.json()) as { status: string };
        return status === 'succeeded' || status === 'failed' ? true : undefined;
      });
    }

    // Every page a scraper or an operator reads.
    const pages: string[] = [];
    for (const [p, paths] of [
      [supervisor, ['/metrics', '/readyz', '/healthz']],
      [runner, ['/metrics', '/prometheus', '/hardware', '/readyz']],
      [orchestrator, ['/metrics', '/readyz']],
    ] as const)
      for (const path of paths) pages.push(await (await fetch(`http://127.0.0.1:${p.port}${path}`)).text());

    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    const logs = procs.map((p) => JSON.stringify(p.records) + p.stderr()).join('\n');
    expect(logs).toContain('NOPERM');
    // Errors that carried the refused command were logged: by its name only.
    expect(logs).toMatch(/"command":\{"name":"(xadd|evalsha|eval)"\}/i);
    expect(bodies.length).toBeGreaterThanOrEqual(7);
    for (const canary of CANARIES) {
      expect({ canary, inLogs: logs.includes(canary) }).toEqual({ canary, inLogs: false });
      expect({ canary, inPages: pages.some((t) => t.includes(canary)) }).toEqual({ canary, inPages: false });
      expect({ canary, inBodies: bodies.some((t) => t.includes(canary)) }).toEqual({ canary, inBodies: false });
    }
  });
});

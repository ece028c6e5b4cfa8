import fc from 'fast-check';
import { useMesh } from '@mesh/mesh-harness';
import { eventually, type ServiceProcess } from '@mesh/testing';

/**
 * Hostile input against the built orchestrator, property-based: whatever the body, content type or path,
 * the answer is never a 5xx, an error answer is the API's JSON error with no stack in it, and the process
 * stays up. About 2,000 requests in all; fast-check prints the seed and the smallest failing input.
 */

const TOKEN = 'fuzz-admin-token-0123456789';
/** Small, so that bodies over it (413) are cheap to make. */
const BODY_LIMIT = 64 * 1024;
const STACK = /\n\s+at |node_modules|\.[jt]s:\d+|Error: /;

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Odd text: any code point, lone surrogates, controls, UUIDs, long runs. */
const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.oneof(loneSurrogate, fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 })) }),
  fc.uuid(),
  fc.constantFrom('', ' ', '{x}', 'a:b', '../..', '__proto__', 'constructor', 'x'.repeat(65), '0'),
);
const anyJson = fc.jsonValue({ maxDepth: 4 });
/** A valid value or, now and then, something of another type or shape. */
const maybe = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: valid }, anyJson, oddString);
const name = fc.oneof(fc.constantFrom('etl', 'acme', 'a.b-c_d'), fc.uuid(), oddString);

const task = fc.record(
  {
    id: maybe(name),
    kind: maybe(fc.oneof(fc.constantFrom('echo', 'sleep', 'fail', 'exec'), fc.uuid())),
    payload: anyJson,
    dependsOn: maybe(fc.array(maybe(name), { maxLength: 4 })),
    retries: maybe(fc.integer({ min: -2, max: 200 })),
    timeoutMs: maybe(fc.oneof(fc.integer(), fc.double())),
    queueTimeoutMs: maybe(fc.integer()),
    extra: anyJson,
  },
  { requiredKeys: [] },
);
/** Submissions close to valid, with wrong types, unknown fields and odd names mixed in. */
const nearValid = fc.record(
  {
    workflow: maybe(name),
    tenant: maybe(name),
    tasks: maybe(fc.array(maybe(task), { maxLength: 8 })),
    extra: anyJson,
  },
  { requiredKeys: [] },
);
/** Deep nesting as text (far past any recursion limit) or just past the depth limit as a payload. */
const deep = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['[{"x":', '}]']))
    .map(([n, [open, close]]) => `${open.repeat(n)}1${close.repeat(n)}`),
  fc.integer({ min: 60, max: 2_000 }).map((n) =>
    JSON.stringify({
      workflow: 'etl',
      tenant: 'acme',
      tasks: [{ id: 'a', kind: 'echo', payload: JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`) as unknown }],
    }),
  ),
);
/** Bodies near and over the limit: many tasks, or one huge string. */
const huge = fc.oneof(
  fc.integer({ min: 1, max: 3_000 }).map((n) =>
    JSON.stringify({
      workflow: 'etl',
      tenant: 'acme',
      tasks: Array.from({ length: n }, (_, i) => ({ id: `t${i}`, kind: 'echo', dependsOn: i ? ['t0'] : [] })),
    }),
  ),
  fc.integer({ min: BODY_LIMIT - 100, max: BODY_LIMIT * 2 }).map((n) => JSON.stringify({ workflow: 'x'.repeat(n) })),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=nope',
  'application/json; charset=""',
  'application/merge-patch+json',
  'application/*',
  'text/plain',
  'text/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  ';;;',
  '',
);
const contentEncoding = fc.constantFrom(undefined, undefined, undefined, 'gzip', 'deflate', 'br', 'identity', 'x-nope');

/** A path segment: percent-encoded UTF-8, or the raw %-escapes of a string with lone surrogates. */
function percentEncoded(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return escape(s);
  }
}

let proc: ServiceProcess;
let base: string;

/** Still alive and healthy after everything, with no error logged. */
async function stillHealthy(): Promise<void> {
  expect(proc.child.exitCode).toBeNull();
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  expect(proc.records.filter((r) => ['error', 'fatal'].includes(String(r['level'])))).toEqual([]);
}

/** How often each status was answered: the generators must reach acceptance and each refusal. */
const seen = new Map<number, number>();

async function check(res: Response): Promise<void> {
  const text = await res.text();
  seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
  // Thrown with the answer, so that fast-check's report shows what came back.
  if (res.status >= 500) throw new Error(`answered ${res.status}: ${text.slice(0, 300)}`);
  expect(text).not.toMatch(STACK);
  expect(text).not.toContain(TOKEN);
  if (res.status >= 400) {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof body.error?.code).toBe('string');
    expect(typeof body.error?.message).toBe('string');
  }
}

const post = (body: string | Uint8Array, headers: Record<string, string | undefined>) =>
  fetch(`${base}/workflow`, {
    method: 'POST',
    headers: Object.fromEntries(
      Object.entries({ authorization: `Bearer ${TOKEN}`, ...headers }).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    ),
    body,
  });

describe('HTTP fuzz against the built orchestrator', () => {
  const t = useMesh('orchestrator-fuzz');

  beforeEach(async () => {
    seen.clear();
    proc = await t.mesh.orchestrator('fuzz', {
      MESH_API_TOKEN: TOKEN,
      ORCHESTRATOR_BODY_LIMIT_BYTES: String(BODY_LIMIT),
    });
    base = `http://127.0.0.1:${proc.port}`;
    await eventually(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));
  });

  it('when thousands of generated JSON bodies are posted (any JSON, near-valid submissions, deep nesting, huge bodies), no answer is a 5xx or holds a stack', async () => {
    const bodies = fc.oneof(
      { weight: 4, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
      { weight: 6, arbitrary: nearValid.map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: deep },
      { weight: 1, arbitrary: huge },
    );
    await fc.assert(
      fc.asyncProperty(bodies, fc.option(oddString.filter((k) => /^[\x20-\x7e]*$/.test(k))), async (body, key) => {
        await check(await post(body, { 'content-type': 'application/json', 'idempotency-key': key ?? undefined }));
      }),
      { numRuns: 1_000 },
    );
    await stillHealthy();
    for (const status of [202, 400, 413]) expect([status, seen.get(status) ?? 0]).not.toEqual([status, 0]);
  });

  it('when random bytes are posted under several content types and encodings, no answer is a 5xx or holds a stack', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 2_000 }),
      fc.string({ unit: 'binary', maxLength: 500 }).map((s) => new TextEncoder().encode(s)),
    );
    await fc.assert(
      fc.asyncProperty(bytes, contentType, contentEncoding, async (body, type, encoding) => {
        await check(await post(body, { 'content-type': type || undefined, 'content-encoding': encoding }));
      }),
      { numRuns: 600 },
    );
    await stillHealthy();
    for (const status of [400, 415]) expect([status, seen.get(status) ?? 0]).not.toEqual([status, 0]);
  });

  it('when run paths and queries are generated (odd ids, UUIDs, bad cursors), no answer is a 5xx or holds a stack', async () => {
    const segment = fc.oneof(name, fc.uuid(), oddString).map(percentEncoded);
    const query = fc.record(
      { limit: oddString, cursor: oddString, status: fc.oneof(fc.constantFrom('running', 'queued'), oddString) },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(segment, fc.option(segment), query, async (workflow, runId, q) => {
        const path = `/workflows/${workflow}/runs${runId === null ? '' : `/${runId}`}`;
        const res = await fetch(`${base}${path}?${new URLSearchParams(q as Record<string, string>).toString()}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        await check(res);
      }),
      { numRuns: 400 },
    );
    await stillHealthy();
    for (const status of [400, 404]) expect([status, seen.get(status) ?? 0]).not.toEqual([status, 0]);
  });
});

import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { MeshClient, type WorkflowTask } from '@mesh/client';
import { MeshHarness } from '@mesh/mesh-harness';
import {
  createRedisTestContext,
  eventually,
  TEST_DEADLINE_MS,
  WORKSPACE_ROOT,
  type RedisTestContext,
} from '@mesh/testing';
import { launchChromium, RECORD_NODE_STATUSES } from './support/browser';

/** The built console (`npx nx build console`), served by the orchestrator at `/`. */
const CONSOLE_DIR = join(WORKSPACE_ROOT, 'dist', 'apps', 'console');
/** Where the run page's screenshot goes; CONSOLE_SCREENSHOT=docs/images/run-page.png refreshes the docs' copy. */
const SCREENSHOT = ((p) => (isAbsolute(p) ? p : join(WORKSPACE_ROOT, p)))(
  process.env['CONSOLE_SCREENSHOT'] ?? 'tmp/console/run-page.png',
);
/** A browser on a loaded 2-core machine is slow: wait long, but only a broken page waits that long. */
const DEADLINE = Math.max(TEST_DEADLINE_MS, 60_000);
const TENANT = 'acme';

let ctx: RedisTestContext;
let mesh: MeshHarness;
let browser: Browser | undefined;
let base: string;
let client: MeshClient;

beforeAll(async () => {
  browser = await launchChromium();
  ctx = createRedisTestContext('console');
  mesh = new MeshHarness(ctx);
  await mesh.supervisor('sup-1');
  await mesh.runner('runner-1', 'default', { RUNNER_CONCURRENCY: '8' });
  const orchestrator = await mesh.orchestrator('orch-1', { ORCHESTRATOR_CONSOLE_DIR: CONSOLE_DIR });
  base = `http://127.0.0.1:${orchestrator.port}`;
  client = new MeshClient({ baseUrl: base });
});

afterAll(async () => {
  try {
    await browser?.close();
  } finally {
    try {
      await mesh?.stopAll();
    } finally {
      await ctx?.cleanup();
    }
  }
});

/** The pages a test opened, closed after it; and what went uncaught in them, which must be nothing. */
const pages: Page[] = [];
const pageErrors: string[] = [];
async function newPage(): Promise<Page> {
  if (!browser) throw new Error('no browser');
  // Each page is its own browser context: no storage shared between tests.
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  pages.push(page);
  page.setDefaultTimeout(DEADLINE);
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return page;
}

/** A fresh page at `hash` that records the statuses its graph shows. */
async function openPage(hash: string): Promise<Page> {
  const page = await newPage();
  await page.addInitScript({ content: RECORD_NODE_STATUSES });
  await page.goto(`${base}/${hash}`);
  // Survives only as long as the document: a reload would drop it.
  await page.evaluate(() => {
    (window as unknown as { __loadedOnce: boolean }).__loadedOnce = true;
  });
  return page;
}
afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => p.close()));
  expect(pageErrors.splice(0)).toEqual([]);
});

const notReloaded = (page: Page) =>
  page.evaluate(() => (window as unknown as { __loadedOnce?: boolean }).__loadedOnce === true);
const statusesSeen = (page: Page) =>
  page.evaluate(() => (window as unknown as { __statuses: Record<string, string[]> }).__statuses);
const submit = (workflow: string, tasks: WorkflowTask[]) => client.submit({ workflow, tenant: TENANT, tasks });
const node = (page: Page, taskId: string, status?: string) =>
  page.locator(`a.node[data-task-id="${taskId}"]${status ? `[data-status="${status}"]` : ''}`);

describe('the web console in a real browser, against the whole mesh', () => {
  it('when runs are submitted, the runs list shows them as they come, each linking to its run', async () => {
    const first = await submit('list-a', [{ id: 'only', kind: 'echo', payload: 1 }]);
    const page = await openPage('#/');
    const row = page.locator(`tr[data-run-id="${first.runId}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('list-a');

    // Submitted after the page loaded: the list's polling shows it, with its status, without a reload.
    const second = await submit('list-b', [{ id: 'nap', kind: 'sleep', payload: { ms: 200 } }]);
    const row2 = page.locator(`tr[data-run-id="${second.runId}"]`);
    await row2.waitFor();
    await page.locator(`tr[data-run-id="${second.runId}"] .badge.s-succeeded`).waitFor();
    await expect(row2.textContent()).resolves.toContain('1 succeeded');

    // A filter narrows the list.
    await page.getByLabel('Workflow').fill('list-a');
    await row2.waitFor({ state: 'detached' });
    await expect(row.isVisible()).resolves.toBe(true);

    await row.getByRole('link').click();
    await node(page, 'only', 'succeeded').waitFor();
    expect(page.url()).toContain(`#/runs/list-a/${first.runId}`);
    expect(await notReloaded(page)).toBe(true);
  });

  it('when a run is open, its graph turns from waiting and running to succeeded live, without a reload', async () => {
    const run = await submit('fan', [
      { id: 'split', kind: 'sleep', payload: { ms: 1500 } },
      { id: 'left', kind: 'sleep', payload: { ms: 2500 }, dependsOn: ['split'] },
      { id: 'right', kind: 'sleep', payload: { ms: 2500 }, dependsOn: ['split'] },
      { id: 'join', kind: 'echo', payload: { done: true }, dependsOn: ['left', 'right'] },
    ]);
    const page = await openPage(`#/runs/fan/${run.runId}`);
    await page.locator('svg.graph').waitFor();
    await expect(page.locator('a.node').count()).resolves.toBe(4);

    await page.locator('[data-run-status="succeeded"]').waitFor();
    await Promise.all(['split', 'left', 'right', 'join'].map((id) => node(page, id, 'succeeded').waitFor()));
    const seen = await statusesSeen(page);
    // Every task was shown before it succeeded (waiting or running), then succeeded: the page followed the run.
    for (const id of ['left', 'right', 'join']) {
      expect(seen[id]?.at(-1)).toBe('succeeded');
      expect(seen[id]?.length).toBeGreaterThan(1);
    }
    expect(seen['left']).toContain('running');
    expect(seen['join']?.[0]).toMatch(/pending|queued/);
    // Fan-out and fan-in: one edge per dependency.
    await expect(page.locator('path.edge').count()).resolves.toBe(4);
    expect(await notReloaded(page)).toBe(true);
  });

  it('when Cancel is pressed on a running run, the run ends cancelled, on the page and in the API', async () => {
    const run = await submit('long', [{ id: 'forever', kind: 'sleep', payload: { ms: 600_000 } }]);
    const page = await openPage(`#/runs/long/${run.runId}`);
    await node(page, 'forever', 'running').waitFor();
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('[data-run-status="cancelled"]').waitFor();
    await node(page, 'forever', 'cancelled').waitFor();
    await expect(page.getByRole('button', { name: 'Cancel run' }).isDisabled()).resolves.toBe(true);
    const record = await eventually(async () => {
      const r = await client.get('long', run.runId);
      return r.tasks[0]?.status === 'cancelled' ? r : undefined;
    }, DEADLINE);
    expect(record.status).toBe('cancelled');
    expect(await notReloaded(page)).toBe(true);
  });

  it('when a task outputs markup with a script, the page shows it as text and never runs it', async () => {
    const evil =
      '<script>window.__pwned = "script"</script><img src="x" onerror="window.__pwned = \'img\'"><b>bold?</b>';
    const run = await submit('xss', [{ id: 'echo-html', kind: 'echo', payload: evil }]);
    const page = await openPage(`#/runs/xss/${run.runId}/tasks/echo-html`);
    const output = page.locator('pre[data-field="output"]');
    await output.waitFor();
    await expect(output.textContent()).resolves.toBe(evil);
    // The panel also says which rule sent the task to its domain (no rule of its own: the run's route).
    await expect(page.locator('[data-field="route"]').textContent()).resolves.toMatch(/route$/);
    await expect(page.locator('main script, main img, main b').count()).resolves.toBe(0);
    // Give an onerror every chance to have fired: the table and graph are rendered too by now.
    await node(page, 'echo-html', 'succeeded').waitFor();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
  });

  it('when Re-run is pressed on a failed run, the page moves to the new run, which reuses what succeeded', async () => {
    const run = await submit('again', [
      { id: 'prepare', kind: 'echo', payload: { step: 1 } },
      { id: 'flaky', kind: 'fail', payload: { message: 'upstream down' }, dependsOn: ['prepare'] },
    ]);
    const page = await openPage(`#/runs/again/${run.runId}`);
    await page.locator('[data-run-status="failed"]').waitFor();
    await page.getByRole('button', { name: 'Re-run' }).click();
    await page.waitForURL((url) => url.hash.startsWith('#/runs/again/') && !url.hash.endsWith(run.runId));
    const rerunId = decodeURIComponent(new URL(page.url()).hash.split('/')[3] ?? '');
    await node(page, 'prepare', 'succeeded').and(page.locator('.reused')).waitFor();
    await node(page, 'flaky', 'failed').waitFor();
    await expect(page.locator('tr[data-task-id="prepare"]').textContent()).resolves.toContain('reused');
    await page.getByRole('link', { name: run.runId }).waitFor();
    expect((await client.get('again', rerunId)).rerunOf).toBe(run.runId);
    expect(await notReloaded(page)).toBe(true);
  });

  it('when the API asks for a token, the console asks for it, keeps it for the tab and sends it', async () => {
    const token = 'console-test-admin-token-0123456789';
    const guarded = await mesh.orchestrator('orch-token', {
      ORCHESTRATOR_CONSOLE_DIR: CONSOLE_DIR,
      MESH_API_TOKEN: token,
    });
    const run = await new MeshClient({ baseUrl: `http://127.0.0.1:${guarded.port}`, token }).submit({
      workflow: 'guarded',
      tenant: TENANT,
      tasks: [{ id: 'one', kind: 'echo' }],
    });
    const page = await newPage();
    await page.goto(`http://127.0.0.1:${guarded.port}/#/`);
    await page.getByLabel('Bearer token').fill(token);
    await page.getByRole('button', { name: 'Use this token' }).click();
    await page.locator(`tr[data-run-id="${run.runId}"]`).waitFor();
    // Kept for the tab: a reload lists the runs again without asking.
    await page.reload();
    await page.locator(`tr[data-run-id="${run.runId}"]`).waitFor();
    await expect(page.getByLabel('Bearer token').count()).resolves.toBe(0);
  });

  it('when a run does not exist, its page says so with the API error code', async () => {
    const page = await openPage('#/runs/nowhere/no-such-run');
    await expect(page.getByRole('alert').textContent()).resolves.toContain('MESH_NOT_FOUND');
  });

  it('when a run fans out and in with a failure, its page shows every status; a screenshot is saved', async () => {
    const run = await submit('train-model', [
      { id: 'fetch', kind: 'echo', payload: { source: 's3://datasets/images-2026-11' } },
      { id: 'shard-1', kind: 'sleep', payload: { ms: 300 }, dependsOn: ['fetch'] },
      { id: 'shard-2', kind: 'sleep', payload: { ms: 400 }, dependsOn: ['fetch'] },
      { id: 'shard-3', kind: 'sleep', payload: { ms: 500 }, dependsOn: ['fetch'] },
      { id: 'merge', kind: 'echo', payload: { shards: 3 }, dependsOn: ['shard-1', 'shard-2', 'shard-3'] },
      { id: 'validate', kind: 'fail', payload: { message: 'schema drift: column price' }, dependsOn: ['merge'] },
      { id: 'publish', kind: 'echo', dependsOn: ['validate'] },
      { id: 'train', kind: 'sleep', payload: { ms: 600_000 }, dependsOn: ['merge'] },
      { id: 'evaluate', kind: 'echo', dependsOn: ['train'] },
    ]);
    const page = await openPage(`#/runs/train-model/${run.runId}/tasks/validate`);
    await Promise.all([
      node(page, 'merge', 'succeeded').waitFor(),
      node(page, 'validate', 'failed').waitFor(),
      node(page, 'publish', 'skipped').waitFor(),
      node(page, 'train', 'running').waitFor(),
      node(page, 'evaluate', 'pending').waitFor(),
    ]);
    // The running task shows its runner and how long it has run.
    await page.waitForFunction(() =>
      /runner-1 · \d/.test(document.querySelector('a.node[data-task-id="train"] .node-detail')?.textContent ?? ''),
    );
    await expect(page.locator('pre[data-field="error"]').textContent()).resolves.toContain('schema drift');
    await expect(page.locator('tr[data-task-id="evaluate"]').textContent()).resolves.toContain('train');
    await expect(page.locator('path.edge').count()).resolves.toBe(10);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await client.cancel('train-model', run.runId);
    await page.locator('[data-run-status="cancelled"]').waitFor();
  });
});

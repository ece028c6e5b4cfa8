import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, runService, spawnService, stopProcess, type SpawnedService } from '../src/index';

/**
 * A stand-in for a built app: logs pino-like JSON records and, as the real services do, a
 * `listening` record with its port; exits 0 on SIGTERM. MODE changes what it does.
 */
const FAKE_APP = `
const mode = process.env.MODE;
const log = (r) => process.stdout.write(JSON.stringify({ service: 'fake', ...r }) + '\\n');
if (mode === 'fail') { process.stderr.write('FAKE_SETTING: bad value\\n'); process.exit(2); }
if (mode === 'once') { log({ msg: 'hello', argv: process.argv.slice(2), cwd: process.cwd() }); process.exit(3); }
process.on('SIGTERM', () => { log({ msg: 'stopped' }); process.exit(0); });
log({ msg: 'starting', inherited: process.env.NOT_GIVEN ?? null });
if (mode !== 'silent') setTimeout(() => log({ msg: 'listening', port: 4321 }), 50);
setInterval(() => undefined, 1000);
`;

describe('service processes', () => {
  let root: string;
  const running: SpawnedService[] = [];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'process-kit-'));
    mkdirSync(join(root, 'dist', 'apps', 'fake'), { recursive: true });
    writeFileSync(join(root, 'dist', 'apps', 'fake', 'main.js'), FAKE_APP);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop('SIGKILL')));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const start = (env: Record<string, string>, detached = false): SpawnedService => {
    const service = spawnService({ root, app: 'fake', env, detached });
    running.push(service);
    return service;
  };

  it('when the service logs "listening", its port is reported, every record reaches onRecord, and SIGTERM stops it with exit 0', async () => {
    const records: Array<Record<string, unknown>> = [];
    process.env['NOT_GIVEN'] = 'leaked';
    try {
      running.push(spawnService({ root, app: 'fake', env: { MODE: 'serve' }, onRecord: (r) => records.push(r) }));
    } finally {
      delete process.env['NOT_GIVEN'];
    }
    const service = running[0] as SpawnedService;

    expect(await service.listening()).toBe(4321);
    expect(await service.stop()).toEqual({ code: 0, signal: null });
    expect(records.map((r) => r['msg'])).toEqual(['starting', 'listening', 'stopped']);
    // The child's environment is exactly what was given.
    expect(records[0]?.['inherited']).toBeNull();
    // Stopping again, or waiting for an ended process, answers at once.
    expect(await service.stop()).toEqual({ code: 0, signal: null });
    expect(await exitOf(service.child)).toEqual({ code: 0, signal: null });
  });

  it('when the service exits before listening, listening() rejects with its stderr', async () => {
    const service = start({ MODE: 'fail' });
    await expect(service.listening()).rejects.toThrow(
      'fake exited with 2 before listening; stderr: FAKE_SETTING: bad value',
    );
  });

  it('when the service never logs "listening", listening() rejects after the timeout and the process is killed', async () => {
    const service = start({ MODE: 'silent' });
    await expect(service.listening(200)).rejects.toThrow('fake did not log "listening" within 200 ms');
    expect(await service.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('when detached, the service leads its own process group, so a signal to the parent group does not reach it', async () => {
    const service = start({ MODE: 'serve' }, true);
    await service.listening();
    const pid = service.child.pid as number;
    const pgid = Number(
      execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)])
        .toString()
        .trim(),
    );
    expect(pgid).toBe(pid);
    expect(pgid).not.toBe(
      Number(
        execFileSync('ps', ['-o', 'pgid=', '-p', String(process.pid)])
          .toString()
          .trim(),
      ),
    );
  });

  it('when the app is not built, spawning it says which build to run', () => {
    expect(() => spawnService({ root, app: 'absent', env: {} })).toThrow('run "npx nx build absent" first');
  });

  it('when run to its end, the whole output, the exit code and the working directory are the ones expected', async () => {
    const run = await runService({ root, app: 'fake', env: { MODE: 'once' }, argv: ['--flag', 'x'] });
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ msg: 'hello', argv: ['--flag', 'x'], cwd: root });
    expect(run.stderr).toBe('');
  });

  it('when a process could not be started, stopping it resolves with the start error instead of hanging', async () => {
    const child = spawn('/nonexistent/no-such-binary', [], { stdio: 'ignore' });
    const exit = await stopProcess(child);
    expect(exit).toMatchObject({ code: null, signal: null, error: expect.objectContaining({ code: 'ENOENT' }) });
  });
});

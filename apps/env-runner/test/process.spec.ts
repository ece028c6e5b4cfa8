import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeServiceLifecycle, eventually, runServiceToExit, startServiceProcess } from '@mesh/testing';
import { DOMAIN, useRunnerDomain } from './runner-domain';

describeServiceLifecycle({
  app: 'env-runner',
  listenEnv: 'RUNNER_LISTEN',
  metricsPaths: ['/prometheus', '/metrics'],
  env: () => ({ MESH_STREAM_PREFIX: `test:env-runner-proc-${process.pid}`, RUNNER_ID: 'runner-proc-test' }),
});

const d = useRunnerDomain('runner-proc');

describe('env runner process', () => {
  it('when started, it registers in mesh:runners with its domain and hardware, and deregisters on SIGTERM', async () => {
    const runner = await startServiceProcess('env-runner', d.env('reg-1'));
    const record = JSON.parse(
      (await eventually(() => d.ctx.redis.hget(d.keys.runners, 'reg-1').then((v) => v ?? undefined))) as string,
    );
    expect(record).toMatchObject({ runnerId: 'reg-1', domain: DOMAIN, kinds: ['sleep', 'echo', 'fail'] });
    expect(record.hardware.cpu.logicalCores).toBeGreaterThan(0);
    expect(record.lastSeen).toBeGreaterThanOrEqual(record.startedAt);
    expect(await runner.stop('SIGTERM')).toBe(0);
    expect(await d.ctx.redis.hexists(d.keys.runners, 'reg-1')).toBe(0);
  });

  it('when started, every outcome series of its kinds and every dead-letter reason is on /prometheus at 0', async () => {
    const runner = await startServiceProcess('env-runner', d.env('zeroes'));
    try {
      const text = await (await fetch(`http://127.0.0.1:${runner.port}/prometheus`)).text();
      for (const kind of ['sleep', 'echo', 'fail', '_other']) {
        expect(text).toContain(`env_runner_assignments_processed_total{kind="${kind}"} 0`);
        for (const reason of ['error', 'timeout', 'invalid_payload', 'unknown_kind', 'delivery_limit'])
          expect(text).toContain(`env_runner_assignments_failed_total{kind="${kind}",reason="${reason}"} 0`);
      }
      expect(text).toContain('env_runner_dead_letters_total{reason="malformed_json"} 0');
    } finally {
      await runner.stop();
    }
  });

  it('when RUNNER_HANDLERS_MODULE adds a kind, assignments of that kind run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-handlers-'));
    const mod = join(dir, 'handlers.js');
    writeFileSync(
      mod,
      "exports.handlers = [{ kind: 'upper', validate: (p) => (typeof p?.text === 'string' ? [] : ['payload.text must be a string']), run: async (p) => p.text.toUpperCase() }];\n",
    );
    const runner = await startServiceProcess('env-runner', d.env('custom', { RUNNER_HANDLERS_MODULE: mod }));
    try {
      await d.publish(1, { kind: 'upper', payload: { text: 'mesh' } });
      await d.publish(1, { kind: 'upper', payload: { text: 7 }, assignmentId: 'run:bad:1' });
      const done = await eventually(async () => ((await d.acks()).length >= 2 ? d.acks() : undefined));
      // Both run at once, so their acks may come in either order.
      const byId = Object.fromEntries(done.map((a) => [a.assignmentId, [a.success, a.output ?? a.error]]));
      expect(byId).toEqual({
        'run:t0:1': [true, 'MESH'],
        'run:bad:1': [false, 'invalid payload for upper: payload.text must be a string'],
      });
    } finally {
      await runner.stop();
    }
  });

  it('when MESH_SERVICES_FILE is valid, the manifest is echoed at start-up; when invalid, start-up stops with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-manifest-'));
    const good = join(dir, 'mesh-services.json');
    const manifest = {
      version: 1,
      streamPrefix: 'mesh',
      services: [
        { name: 'env-runner', host: 'rust-env-runner', port: 8083, metricsPath: '/prometheus', domain: 'batch' },
      ],
      domains: ['batch'],
      tenantOverrides: [{ tenant: 'acme', domain: 'batch' }],
    };
    writeFileSync(good, JSON.stringify(manifest));
    const runner = await startServiceProcess('env-runner', d.env('audited', { MESH_SERVICES_FILE: good }));
    await runner.stop();
    expect(runner.records.find((r) => r['msg'] === 'mesh manifest')).toMatchObject({ manifest, file: good });

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...manifest, services: [] }));
    const result = await runServiceToExit('env-runner', d.env('audited', { MESH_SERVICES_FILE: bad }));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      `env-runner: invalid configuration: MESH_SERVICES_FILE: ${bad} is not a mesh manifest: /services: must NOT have fewer than 1 items`,
    ]);
  });

  it('when RUNNER_EXEC_ALLOW names a command with argument patterns, only calls whose arguments match run; others are acked as failures saying why', async () => {
    const allow = JSON.stringify([{ command: 'echo', args: ['^hello-[a-z]+$'] }]);
    const runner = await startServiceProcess('env-runner', d.env('exec', { RUNNER_EXEC_ALLOW: allow }));
    try {
      await d.publish(1, { kind: 'exec', payload: { command: 'echo', args: ['hello-mesh'] }, assignmentId: 'ok' });
      await d.publish(1, { kind: 'exec', payload: { command: 'echo', args: ['$(id)'] }, assignmentId: 'arg' });
      await d.publish(1, { kind: 'exec', payload: { command: 'sh', args: ['-c', 'id'] }, assignmentId: 'cmd' });
      const done = await eventually(async () => ((await d.acks()).length >= 3 ? d.acks() : undefined));
      const byId = Object.fromEntries(done.map((a) => [a.assignmentId, a]));
      expect([byId['ok']?.success, (byId['ok']?.output as { stdout?: string })?.stdout]).toEqual([
        true,
        'hello-mesh\n',
      ]);
      expect([byId['arg']?.success, byId['arg']?.error]).toEqual([
        false,
        'invalid payload for exec: payload.args are not allowed for "echo" by RUNNER_EXEC_ALLOW: argument 1 "$(id)" does not match ^hello-[a-z]+$',
      ]);
      expect([byId['cmd']?.success, byId['cmd']?.error]).toEqual([
        false,
        'invalid payload for exec: payload.command "sh" is not on this runner\'s allow-list (RUNNER_EXEC_ALLOW)',
      ]);
    } finally {
      await runner.stop();
    }
  });

  it('when RUNNER_EXEC_ALLOW holds a bad pattern, start-up stops with one line naming the entry', async () => {
    const result = await runServiceToExit(
      'env-runner',
      d.env('exec', { RUNNER_EXEC_ALLOW: '[{"command":"tar","args":["[a-"]}]' }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('RUNNER_EXEC_ALLOW: entry 1 (tar): args[0] is not a valid regular expression');
  });

  it('when RUNNER_EXEC_ALLOW uses the old bare-name form, those commands run without arguments and start-up warns', async () => {
    const runner = await startServiceProcess('env-runner', d.env('legacy', { RUNNER_EXEC_ALLOW: 'date,echo' }));
    try {
      await d.publish(1, { kind: 'exec', payload: { command: 'echo', args: [] }, assignmentId: 'bare' });
      await d.publish(1, { kind: 'exec', payload: { command: 'echo', args: ['x'] }, assignmentId: 'with-arg' });
      const done = await eventually(async () => ((await d.acks()).length >= 2 ? d.acks() : undefined));
      const byId = Object.fromEntries(done.map((a) => [a.assignmentId, [a.success, a.error]]));
      expect(byId).toEqual({
        bare: [true, undefined],
        'with-arg': [
          false,
          'invalid payload for exec: payload.args are not allowed for "echo" by RUNNER_EXEC_ALLOW: takes no arguments, got 1',
        ],
      });
      expect(runner.records.find((r) => String(r['msg']).startsWith('RUNNER_EXEC_ALLOW names commands'))).toMatchObject(
        {
          commands: ['date', 'echo'],
        },
      );
    } finally {
      await runner.stop();
    }
  });

  it('when MESH_DOMAIN is not a name, start-up stops naming it', async () => {
    const result = await runServiceToExit('env-runner', { ...d.env('x'), MESH_DOMAIN: 'gpu:east' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MESH_DOMAIN: "gpu:east" is not a name');
  });
});

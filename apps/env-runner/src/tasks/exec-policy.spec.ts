import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecPolicy, parseExecAllow } from './exec-policy';

const policy = (raw: string): ExecPolicy => new ExecPolicy(parseExecAllow(raw));

describe('exec allow-list', () => {
  const tar = policy(
    JSON.stringify([
      { command: 'tar', args: ['^-[cx]zf$', '^/data/[\\w./-]+$', '^/data/[\\w./-]+$'] },
      { command: 'tar', args: ['-tzf', '/data/[\\w./-]+'] },
      { command: 'python3', args: ['/opt/jobs/report\\.py'], rest: '--[a-z-]+=[\\w.-]+' },
      { command: 'date' },
    ]),
  );

  it.each([
    ['tar', ['-czf', '/data/out.tgz', '/data/in']],
    ['tar', ['-xzf', '/data/in.tgz', '/data/out']],
    ['tar', ['-tzf', '/data/in.tgz']],
    ['python3', ['/opt/jobs/report.py']],
    ['python3', ['/opt/jobs/report.py', '--day=2026-01-01', '--format=csv']],
    ['date', []],
  ])('when %s is called with %j, which an entry accepts, it is allowed', (command, args) => {
    expect(tar.check(command, args)).toEqual([]);
  });

  it.each([
    ['tar', ['-czf', '/etc/shadow.tgz', '/etc'], 'argument 2 "/etc/shadow.tgz" does not match ^/data/[\\w./-]+$'],
    ['tar', ['-czf', '/data/x', '/data/y', '--to-command=sh'], 'takes 3 arguments, got 4'],
    ['tar', ['--use-compress-program=sh', '/data/x', '/data/y'], 'argument 1 "--use-compress-program=sh"'],
    ['tar', ['-tzf', '/data/../etc/passwd x'], 'argument 2 "/data/../etc/passwd x" does not match /data/[\\w./-]+'],
    ['python3', ['-c', 'import os'], 'argument 1 "-c" does not match /opt/jobs/report\\.py'],
    ['python3', ['/opt/jobs/report.py', '--x=1;rm'], 'argument 2 "--x=1;rm" does not match --[a-z-]+=[\\w.-]+'],
    ['python3', ['/opt/jobs/report.pyX'], 'argument 1 "/opt/jobs/report.pyX"'],
    ['date', ['-s', '2000-01-01'], 'takes no arguments, got 2'],
  ])('when %s is called with %j, which no entry accepts, it is refused saying why', (command, args, why) => {
    const problems = tar.check(command, args);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`payload.args are not allowed for ${JSON.stringify(command)} by RUNNER_EXEC_ALLOW`);
    expect(problems[0]).toContain(why);
  });

  it('when several entries name the command, the refusal says why each entry refused, by its place in the list', () => {
    expect(tar.check('tar', ['-czf', '/etc/x', '/data/y'])).toEqual([
      'payload.args are not allowed for "tar" by RUNNER_EXEC_ALLOW: entry 1: argument 2 "/etc/x" does not match ^/data/[\\w./-]+$; entry 2: takes 2 arguments, got 3',
    ]);
  });

  it('when the command is not listed at all, it is refused naming RUNNER_EXEC_ALLOW', () => {
    expect(tar.check('rm', ['-rf', '/'])).toEqual([
      'payload.command "rm" is not on this runner\'s allow-list (RUNNER_EXEC_ALLOW)',
    ]);
    // Commands match exactly: a path is another command.
    expect(tar.check('/bin/tar', ['-tzf', '/data/x'])).toHaveLength(1);
  });

  it('when patterns are given without anchors, they must still match the whole argument', () => {
    expect(tar.check('tar', ['-tzf', 'x/data/y'])).toHaveLength(1);
    expect(tar.check('tar', ['-tzf', '/data/y\n--to-command=sh'])).toHaveLength(1);
  });

  it('when the old comma-separated form is used, each command is allowed with no arguments only', () => {
    const old = policy('echo, date');
    expect(old.check('echo', [])).toEqual([]);
    expect(old.check('date', [])).toEqual([]);
    expect(old.check('echo', ['hi'])[0]).toContain('takes no arguments, got 1');
    expect(parseExecAllow('echo,date').map((r) => r.legacy)).toEqual([true, true]);
  });

  it('when the list is in a file named with @, it is read from the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-exec-allow-'));
    const file = join(dir, 'allow.json');
    writeFileSync(file, JSON.stringify([{ command: 'echo', rest: '[a-z]+' }]));
    const p = policy(`@${file}`);
    expect(p.check('echo', ['a', 'b'])).toEqual([]);
    expect(p.check('echo', ['A'])).toHaveLength(1);
  });

  it.each([
    ['[{"command":"tar","args":["("]}]', /^entry 1 \(tar\): args\[0\] is not a valid regular expression/],
    ['[{"command":""}]', /^entry 1: command must be a non-empty string$/],
    ['[{"command":"tar","args":"-czf"}]', /^entry 1 \(tar\): args must be an array of patterns$/],
    ['[{"command":"tar","rest":5}]', /^entry 1 \(tar\): rest must be a pattern$/],
    ['[{"command":"tar","argz":[]}]', /^entry 1 \(tar\): unknown field "argz"$/],
    ['{"command":"tar"}', /^must be a JSON array of \{command, args\?, rest\?\}$/],
    ['[{"command":"tar"', /^not JSON: /],
    ['@/no/such/file.json', /^cannot read \/no\/such\/file.json: ENOENT$/],
    ['echo,,date', /^entry 2 is empty$/],
  ])('when the list is %s, it is refused at start with a clear line', (raw, message) => {
    expect(() => parseExecAllow(raw)).toThrow(message);
  });

  it('when an argument is huge, or there are very many, the check stays bounded and refuses', () => {
    const p = policy(JSON.stringify([{ command: 'echo', rest: '[a-z]+' }]));
    expect(p.check('echo', ['a'.repeat(100_000)])[0]).toContain('longer than');
    expect(
      p.check(
        'echo',
        Array.from({ length: 10_000 }, () => 'ab'),
      )[0],
    ).toContain('too many arguments');
  });
});

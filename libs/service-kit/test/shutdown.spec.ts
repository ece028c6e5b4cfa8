import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createLogger } from '@mesh/logging';
import { installShutdown } from '../src';

const logger = createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, done) => done() }) });

function harness(
  steps:
    Array<readonly [string, () => Promise<void> | void]> | (() => Array<readonly [string, () => Promise<void> | void]>),
  timeoutMs = 1000,
  ready?: Promise<unknown>,
) {
  const proc = new EventEmitter();
  const exits: number[] = [];
  let exited: (code: number) => void = () => undefined;
  const done = new Promise<number>((r) => (exited = r));
  installShutdown({
    logger,
    steps,
    timeoutMs,
    ...(ready ? { ready } : {}),
    process: proc as unknown as NodeJS.Process,
    exit: (code) => {
      exits.push(code);
      exited(code);
    },
  });
  return { proc, exits, done };
}

describe('graceful shutdown', () => {
  it('when SIGTERM arrives, the steps run in order and the process exits 0', async () => {
    const order: string[] = [];
    const h = harness([
      ['stop reading', () => void order.push('stop reading')],
      ['drain', async () => void order.push('drain')],
      ['close redis', () => void order.push('close redis')],
    ]);
    h.proc.emit('SIGTERM', 'SIGTERM');
    expect(await h.done).toBe(0);
    expect(order).toEqual(['stop reading', 'drain', 'close redis']);
  });

  it('when a step fails, the later steps still run and the exit code is 1', async () => {
    const order: string[] = [];
    const h = harness([
      ['a', () => Promise.reject(new Error('nope'))],
      ['b', () => void order.push('b')],
    ]);
    h.proc.emit('SIGINT', 'SIGINT');
    expect(await h.done).toBe(1);
    expect(order).toEqual(['b']);
  });

  it('when a second signal arrives during shutdown, the process exits 1 at once', async () => {
    let release: () => void = () => undefined;
    const h = harness([['slow', () => new Promise<void>((r) => (release = r))]]);
    h.proc.emit('SIGTERM', 'SIGTERM');
    h.proc.emit('SIGTERM', 'SIGTERM');
    expect(await h.done).toBe(1);
    release();
  });

  it('when the steps outlast the timeout, the process exits 1', async () => {
    const h = harness([['stuck', () => new Promise<void>(() => undefined)]], 20);
    h.proc.emit('SIGTERM', 'SIGTERM');
    expect(await h.done).toBe(1);
  });
});

describe('shutdown during start-up', () => {
  it('when a signal arrives before start-up finished, the steps run once it has, and include what it started', async () => {
    let finishStart: () => void = () => undefined;
    const ready = new Promise<void>((r) => (finishStart = r));
    const order: string[] = [];
    let steps: Array<readonly [string, () => void]> = [];
    const h = harness(() => steps, 1000, ready);
    h.proc.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setImmediate(r));
    expect(h.exits).toEqual([]);
    steps = [['close server', () => void order.push('close server')]];
    finishStart();
    expect(await h.done).toBe(0);
    expect(order).toEqual(['close server']);
  });
});

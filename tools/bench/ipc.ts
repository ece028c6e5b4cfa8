import { fork, type ChildProcess } from 'node:child_process';
import { exitOf, stopProcess, type ProcessExit } from '@mesh/process-kit';
import type { ChildConfig, ChildError } from './messages';

type Message = { type: string };

/** A forked benchmark child and its IPC channel, seen from the parent. */
export class ChildLink<Command extends Message, Reply extends Message> {
  readonly exited: Promise<ProcessExit>;
  private readonly listeners = new Set<(reply: Reply) => void>();
  private stopping = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = exitOf(child);
    child.on('message', (reply: Reply) => {
      for (const listener of [...this.listeners]) listener(reply);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(command: Command): void {
    this.child.send(command);
  }

  /** Calls `listener` with every reply until the returned function is called. */
  on(listener: (reply: Reply) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with the next reply of `type`; rejects when the child reports an error, exits, or
   * `timeoutMs` passes first.
   */
  next<T extends Reply['type']>(type: T, timeoutMs: number): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
      const off = this.on((reply) => {
        if (reply.type === type) done(undefined, reply as Extract<Reply, { type: T }>);
        else if (reply.type === 'error') done(new Error(`${this.name}: ${(reply as unknown as ChildError).message}`));
      });
      void this.exited.then(({ code, signal, error }) => {
        if (!this.stopping)
          done(new Error(`${this.name} exited (${error?.message ?? signal ?? code}) before "${type}"`));
      });
      const done = (err?: Error, reply?: Extract<Reply, { type: T }>): void => {
        clearTimeout(timer);
        off();
        if (err) reject(err);
        else resolve(reply as Extract<Reply, { type: T }>);
      };
    });
  }

  /** Sends `stop` and waits for the exit; SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<ProcessExit> {
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    if (this.child.connected) this.child.send({ type: 'stop' });
    const timer = setTimeout(() => void stopProcess(this.child, 'SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Forks a bundled child script (`<dir>/<script>.js`) with `config` as its one argument, in its own
 * process group so that a terminal's Ctrl-C reaches only the parent, which stops it.
 */
export function forkChild<Command extends Message, Reply extends Message>(
  name: string,
  script: string,
  config: ChildConfig,
): ChildLink<Command, Reply> {
  const child = fork(script, [JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  return new ChildLink<Command, Reply>(name, child);
}

/** In a child: its config, from the one argument the parent passed. */
export function childConfig(): ChildConfig {
  const raw = process.argv[2];
  if (!raw) throw new Error('this script is started by the benchmark (dist/tools/bench/mesh-bench.js)');
  return JSON.parse(raw) as ChildConfig;
}

/** In a child: sends one reply to the parent. */
export function reply<Reply extends Message>(message: Reply): void {
  process.send?.(message);
}

/**
 * In a child: runs `handle` for each command, one at a time, in arrival order. A failure is
 * reported as `error` and ends the child; `stop` (or the parent going away) calls `close` and exits.
 */
export function serveParent<Command extends Message>(
  handle: (command: Command) => Promise<void>,
  close: () => Promise<void>,
): void {
  let queue = Promise.resolve();
  let closing = false;
  const shutdown = (code: number): void => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(code), 5000);
    timer.unref();
    void close()
      .catch(() => undefined)
      .finally(() => process.exit(code));
  };
  const fail = (err: unknown): void => {
    reply<ChildError>({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    shutdown(1);
  };
  process.on('message', (command: Command) => {
    if (command.type === 'stop') return shutdown(0);
    queue = queue.then(() => handle(command)).catch(fail);
  });
  process.on('disconnect', () => shutdown(0));
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}

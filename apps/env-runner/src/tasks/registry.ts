import { isMeshName } from '@mesh/mesh-protocol';
import { echoHandler, failHandler, sleepHandler } from './builtin';
import { createExecHandler, type ExecOptions } from './exec';
import type { TaskHandler } from './handler';

/** Task kinds by name: the built-ins, `exec` when commands are allowed, and any from a handlers module. */
export class HandlerRegistry {
  private readonly byKind = new Map<string, TaskHandler>();

  constructor(handlers: readonly TaskHandler[]) {
    for (const h of handlers) {
      if (this.byKind.has(h.kind)) throw new Error(`task kind ${JSON.stringify(h.kind)} is defined twice`);
      this.byKind.set(h.kind, h);
    }
  }

  get(kind: string): TaskHandler | undefined {
    return this.byKind.get(kind);
  }

  kinds(): string[] {
    return [...this.byKind.keys()];
  }
}

export function builtinHandlers(exec: ExecOptions): TaskHandler[] {
  const handlers = [sleepHandler, echoHandler, failHandler];
  if (exec.allow.length > 0) handlers.push(createExecHandler(exec));
  return handlers;
}

/**
 * Loads RUNNER_HANDLERS_MODULE: a CommonJS module exporting `handlers: TaskHandler[]` (see
 * handler.ts). Throws with a clear message when the module or a handler is malformed.
 */
export function loadHandlersModule(path: string, load: (p: string) => unknown = require): TaskHandler[] {
  let mod: unknown;
  try {
    mod = load(path);
  } catch (err) {
    throw new Error(`cannot load ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const handlers = (mod as { handlers?: unknown })?.handlers;
  if (!Array.isArray(handlers)) throw new Error(`${path} does not export a "handlers" array`);
  handlers.forEach((h: Partial<TaskHandler>, i) => {
    if (!isMeshName(h?.kind)) throw new Error(`${path}: handlers[${i}].kind must be a name`);
    if (typeof h.run !== 'function') throw new Error(`${path}: handlers[${i}] (${h.kind}) has no run function`);
    if (h.validate !== undefined && typeof h.validate !== 'function')
      throw new Error(`${path}: handlers[${i}] (${h.kind}).validate is not a function`);
  });
  return handlers as TaskHandler[];
}

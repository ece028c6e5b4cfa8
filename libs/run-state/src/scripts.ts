// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the *.lua declaration must reach every project that compiles this file
/// <reference path="./lua.d.ts" />
import type { Redis } from '@mesh/mesh-protocol';
import abandonLua from './lua/abandon.lua';
import cancelLua from './lua/cancel.lua';
import claimDueLua from './lua/claim-due.lua';
import createLua from './lua/create.lua';
import depthLua from './lua/depth.lua';
import inputsLua from './lua/includes/inputs.lua';
import moveLua from './lua/includes/move.lua';
import loadLua from './lua/load.lua';
import routeLua from './lua/route.lua';
import pickupLua from './lua/pickup.lua';
import settleLua from './lua/settle.lua';
import startLua from './lua/start.lua';
import waitLua from './lua/wait.lua';
import { RUN_KEY_PARTS } from './run-keys';

type Arg = string | number;

/** The run-state scripts as commands of a client: each takes the run's KEYS then its ARGV, flattened. */
export interface RunStateCommands {
  meshRunCreate(args: Arg[]): Promise<string[]>;
  meshRunStart(args: Arg[]): Promise<Array<string | number>>;
  meshRunPickup(args: Arg[]): Promise<number[]>;
  meshRunSettle(args: Arg[]): Promise<Array<string | number>>;
  meshRunLoad(args: Arg[]): Promise<Array<string | number>>;
  meshRunAbandon(args: Arg[]): Promise<Array<string | number>>;
  meshRunWait(args: Arg[]): Promise<number[]>;
  meshRunCancel(args: Arg[]): Promise<Array<string | number>>;
  meshRunRoute(args: Arg[]): Promise<number>;
  meshClaimDue(schedule: string, now: number, limit: number, leaseUntil: number): Promise<string[]>;
  meshScheduleDepth(schedule: string, now: number, ...held: string[]): Promise<Array<string | number>>;
}

/** Helpers several scripts share, spliced in where a script says `-- @include <name>`. */
const INCLUDES: Readonly<Record<string, string>> = { move: moveLua, inputs: inputsLua };

/** A script with its includes spliced in; an unknown include is a programming error and throws at load. */
export function withIncludes(lua: string): string {
  return lua.replace(/^-- @include (\w+)$/gm, (_line, name: string) => {
    const body = INCLUDES[name];
    if (body === undefined) throw new Error(`unknown Lua include ${JSON.stringify(name)}`);
    return body.trimEnd();
  });
}

const RUN_SCRIPTS = {
  meshRunCreate: createLua,
  meshRunStart: startLua,
  meshRunPickup: pickupLua,
  meshRunSettle: settleLua,
  meshRunLoad: loadLua,
  meshRunAbandon: abandonLua,
  meshRunWait: waitLua,
  meshRunCancel: cancelLua,
  meshRunRoute: routeLua,
} as const;

/** Defines the scripts on `redis` once (EVALSHA, falling back to EVAL) and returns it typed. */
export function withRunStateCommands(redis: Redis): Redis & RunStateCommands {
  const r = redis as Redis & Partial<RunStateCommands>;
  if (typeof r.meshRunSettle !== 'function') {
    for (const [name, lua] of Object.entries(RUN_SCRIPTS))
      redis.defineCommand(name, { numberOfKeys: RUN_KEY_PARTS.length, lua: withIncludes(lua) });
    redis.defineCommand('meshClaimDue', { numberOfKeys: 1, lua: claimDueLua });
    redis.defineCommand('meshScheduleDepth', { numberOfKeys: 1, lua: depthLua });
  }
  return r as Redis & RunStateCommands;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** How to start one built app. */
export interface BuiltAppOptions {
  /** The workspace root, where `dist/apps/<app>/main.js` is built. */
  readonly root: string;
  /** The app name under dist/apps/, e.g. `supervisor`. */
  readonly app: string;
  /** The child's whole environment: nothing is inherited from the parent that is not here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Arguments after the script (default none). */
  readonly argv?: readonly string[];
  /** Node flags before the script (default none), e.g. `--enable-source-maps`. */
  readonly nodeArgs?: readonly string[];
  /**
   * Its own process group (default false): a terminal's Ctrl-C then reaches only the parent, which
   * stops the child itself.
   */
  readonly detached?: boolean;
}

/** Where the bundle of a built app lies: `<root>/dist/apps/<app>/main.js`. */
export function builtAppPath(root: string, app: string): string {
  return join(root, 'dist', 'apps', app, 'main.js');
}

/** Starts a built app with this Node binary, stdin ignored, stdout and stderr piped, cwd the root. */
export function spawnBuiltApp(options: BuiltAppOptions): ChildProcess {
  const script = builtAppPath(options.root, options.app);
  if (!existsSync(script)) throw new Error(`${script} is missing: run "npx nx build ${options.app}" first`);
  return spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...(options.argv ?? [])], {
    cwd: options.root,
    env: { ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
}

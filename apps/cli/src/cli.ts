import { Command, CommanderError, Option } from 'commander';
import { MeshClient, RUN_STATUSES } from '@mesh/client';
import { loadCliConfig } from './config';
import { printJson, type CliIo, type CommandContext } from './context';
import { errorJson, errorLine, EXIT, exitCodeOf } from './errors';
import { cancel } from './commands/cancel';
import { rerun } from './commands/rerun';
import { run } from './commands/run';
import { runs } from './commands/runs';
import { submit } from './commands/submit';
import { tail } from './commands/tail';

interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** The `mesh` program: parses `argv`, runs the command, and resolves with the exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  let json = argv.includes('--json');
  let token: string | undefined;
  const program = new Command('mesh')
    .description('Operate Mesh runs through the orchestrator API (docs/cli.md)')
    .option('--url <url>', 'the orchestrator (env MESH_URL, default http://127.0.0.1:9097)')
    .option('--token <token>', 'bearer token (env MESH_TOKEN; prefer the env: flags show in ps)')
    .option('--json', 'print machine-readable JSON (errors too, on stdout)')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`mesh: ${s.replace(/^error: /, '').trim()} (MESH_USAGE)\n`),
    });

  /** Wraps a command: builds its context from the global options, records its exit code. */
  const action =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals<GlobalOptions>();
      json = globals.json === true;
      const config = loadCliConfig(io.env, globals);
      token = config.token;
      const client = new MeshClient({ baseUrl: config.url, ...(config.token ? { token: config.token } : {}) });
      exitCode = await fn({ io, config, client, json }, ...(args.slice(0, -1) as A));
    };

  program
    .command('submit')
    .description('queue a run of the workflow in <file> (JSON: {"workflow", "tenant", "tasks"})')
    .argument('<file>', 'the workflow request, a JSON file')
    .option('-w, --watch', 'follow the run until it ends; exit 0 only when it succeeded')
    .option('--idempotency-key <key>', 'the same key and body return the same run')
    .action(action((ctx, file: string, o: { watch?: boolean; idempotencyKey?: string }) => submit(ctx, file, o)));

  program
    .command('runs')
    .description('list runs, newest first')
    .option('--tenant <tenant>', "only this tenant's runs")
    .option('--workflow <workflow>', "only this workflow's runs")
    .addOption(new Option('--status <status>', 'only runs in this status').choices(RUN_STATUSES))
    .option('--since <time>', 'only runs submitted since: epoch ms, ISO date-time, or an age (30m, 2h, 7d)')
    .option('--limit <n>', 'page size, 1 to 100 (default 20)')
    .option('--cursor <cursor>', 'the next page, as the previous one said')
    .action(action((ctx, o: Record<string, string>) => runs(ctx, o)));

  program
    .command('run')
    .description('show a run and its tasks: status, runner, hardware, output, error, why they wait')
    .argument('<workflow>')
    .argument('<runId>')
    .action(action((ctx, workflow: string, runId: string) => run(ctx, workflow, runId)));

  program
    .command('cancel')
    .description('cancel a run that has not ended')
    .argument('<workflow>')
    .argument('<runId>')
    .action(action((ctx, workflow: string, runId: string) => cancel(ctx, workflow, runId)));

  program
    .command('rerun')
    .description('run again a run that ended; tasks that succeeded keep their output')
    .argument('<workflow>')
    .argument('<runId>')
    .option('-w, --watch', 'follow the new run until it ends; exit 0 only when it succeeded')
    .action(action((ctx, workflow: string, runId: string, o: { watch?: boolean }) => rerun(ctx, workflow, runId, o)));

  program
    .command('tail')
    .description("print a run's changes as they happen, until it ends")
    .argument('<workflow>')
    .argument('<runId>')
    .action(action((ctx, workflow: string, runId: string) => tail(ctx, workflow, runId)));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError)
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0
        ? EXIT.ok
        : EXIT.usage;
    const line = errorLine(err);
    io.stderr.write(`mesh: ${redact(line, token)}\n`);
    if (json) printJson(io, JSON.parse(redact(JSON.stringify(errorJson(err)), token)));
    return exitCodeOf(err);
  }
}

/** Whatever an error says, the token is not in it. */
function redact(text: string, token: string | undefined): string {
  return token ? text.split(token).join('***') : text;
}

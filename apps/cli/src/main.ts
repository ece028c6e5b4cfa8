import { runCli } from './cli';

// The composition root: the process's streams, environment and clock; Ctrl-C stops watching, not the run.
const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort());
// A reader that goes away (`mesh runs | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

// runCli never rejects: every error becomes a line on stderr and an exit code.
void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: Date.now,
  signal: interrupt.signal,
}).then((code) => {
  process.exitCode = code;
});

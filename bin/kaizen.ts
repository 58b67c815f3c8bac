import { processIo } from '../cli/io.ts';
import { runCli } from '../cli/program.ts';

// Output piped into `head` that closed early is not an error of the command.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await runCli(process.argv.slice(2), processIo);

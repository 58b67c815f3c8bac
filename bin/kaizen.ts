import { homeOf } from '../cli/home.ts';
import { processIo } from '../cli/io.ts';
import { runCli, runsOnLocalStack } from '../cli/program.ts';
import { prestartLocalDynamo } from '../local/dynamo.ts';
import { publishedStack } from '../local/published.ts';

// Output piped into `head` that closed early is not an error of the command.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const argv = process.argv.slice(2);
// The local DynamoDB loads on the other CPU while the command's modules load here, unless a running command
// already serves this home (a read then goes through its stack; a write waits for the home either way).
if (runsOnLocalStack(argv) && !publishedStack(homeOf(argv))) prestartLocalDynamo();
process.exitCode = await runCli(argv, processIo);

import type { Command } from 'commander';
import { type Io, UsageError } from '../io.ts';
import { globalOptions, wholeNumber, withBackend } from '../options.ts';
import { printLoop } from '../render.ts';
import { startApiServer } from '../serve.ts';

/** Registers `kaizen serve`: the HTTPS API on loopback against the local stack, until interrupted. */
export function registerServeCommand(program: Command, io: Io): void {
  program
    .command('serve')
    .description(
      'run the HTTPS API (POST /observations, GET /models/{id}/status) on 127.0.0.1 against the local stack, ' +
        'to test producers offline; no authentication (the deployed API requires SigV4)',
    )
    .option('--port <n>', 'port to listen on (0: any free port)', '8787')
    .action(async (options: { port: string }) => {
      const globals = globalOptions(program);
      if (globals.stack ?? process.env.KAIZEN_STACK) {
        throw new UsageError(
          'kaizen serve runs against the local stack; on AWS, call the stack output ApiUrl',
        );
      }
      const port = wholeNumber('--port', options.port);
      await withBackend(globals, async (backend) => {
        // Stored rows go to the trigger's code as the metrics stream sends them on AWS; loops it starts run here.
        const onStored = async (newest: Parameters<typeof backend.stored>[0]) => {
          await backend.stored(newest);
          for (const loop of await backend.drain()) printLoop(io, loop);
        };
        const { server, url } = await startApiServer(backend.ctx, port, onStored);
        io.out(`listening on ${url} (local stack in ${backend.description.replace(/^local stack in /, '')})`);
        // Until SIGINT or SIGTERM, which close the stack and end the process.
        await new Promise<void>((resolve) => server.once('close', resolve));
      });
    });
}

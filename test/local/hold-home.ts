// Child process for the lock test: holds a local stack on argv[2] until its stdin closes.
import { startLocalStack } from '#local/stack.ts';

const home = process.argv[2];
if (!home) throw new Error('usage: hold-home.ts <home>');
const stack = await startLocalStack({ home });
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void stack.stop().then(() => process.exit(0));
});

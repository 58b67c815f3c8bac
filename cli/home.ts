import { resolve } from 'node:path';

/** The local state folder: `--home`, else `KAIZEN_HOME`, else `.kaizen` in the working directory. */
export function kaizenHome(option?: string): string {
  return resolve(option ?? process.env.KAIZEN_HOME ?? '.kaizen');
}

/** The local state folder `argv` names, read before the command line is parsed (`--home <dir>`, `--home=<dir>`). */
export function homeOf(argv: readonly string[]): string {
  const at = argv.indexOf('--home');
  const inline = argv.find((word) => word.startsWith('--home='));
  return kaizenHome(inline?.slice('--home='.length) ?? (at >= 0 ? argv[at + 1] : undefined));
}

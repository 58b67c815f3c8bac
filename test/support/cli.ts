import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../cli/program.ts';

/** The CLI run in-process against the local stack in the folder `home()` names, its output captured. */
export function cliIn(home: () => string) {
  return {
    async kaizen(...args: string[]) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['--home', home(), ...args], {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
      });
      return { code, out: out.join('\n'), err: err.join('\n') };
    },
    /** Writes a file into the home folder and returns its path. */
    async file(name: string, text: string): Promise<string> {
      const path = join(home(), name);
      await writeFile(path, text);
      return path;
    },
  };
}

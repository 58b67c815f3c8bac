import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Debian's `chromium` on the PATH, or undefined (tests that need it skip, saying so). */
export async function findChromium(): Promise<string | undefined> {
  for (const name of ['chromium', 'chromium-browser']) {
    const found = await new Promise<string | undefined>((resolve) =>
      execFile('sh', ['-c', `command -v ${name}`], (error, stdout) =>
        resolve(error ? undefined : stdout.trim()),
      ),
    );
    if (found) return found;
  }
  return undefined;
}

/** The message a test skips with when Chromium is missing. */
export const NO_CHROMIUM =
  'chromium is not installed (apt-get install -y chromium); the report was not drawn';

/**
 * Loads `file` in headless Chromium, lets its scripts run (virtual time), and returns the DOM after them and
 * the page's console messages (`INFO:CONSOLE` lines of `--enable-logging=stderr`). `screenshot` also saves a PNG.
 */
export async function renderInChromium(
  chromium: string,
  file: string,
  options: { screenshot?: string; width?: number; height?: number } = {},
): Promise<{ dom: string; console: string[] }> {
  const profile = await mkdtemp(join(tmpdir(), 'kaizen-chromium-'));
  const common = [
    '--headless',
    '--no-sandbox', // root in CI containers
    '--disable-gpu',
    '--hide-scrollbars',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    '--enable-logging=stderr',
    '--v=0',
    '--virtual-time-budget=10000',
  ];
  const run = (args: string[]) =>
    new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        chromium,
        [...common, ...args, pathToFileURL(file).href],
        { maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
      ),
    );
  try {
    const { stdout, stderr } = await run(['--dump-dom']);
    if (options.screenshot)
      await run([
        `--screenshot=${options.screenshot}`,
        `--window-size=${options.width ?? 1000},${options.height ?? 2400}`,
      ]);
    return { dom: stdout, console: stderr.split('\n').filter((line) => line.includes('CONSOLE')) };
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
